/**
 * The part of RunPod's GraphQL schema the emulator serves: the types, fields and arguments RunPod's
 * official clients (runpod-python, runpodctl, Python Flash) send, with RunPod's names. RunPod's full
 * schema is not public offline; where its exact type is unknown the loosest plausible one is used
 * (String for enums clients send as strings, JSON for manifests).
 */
export const typeDefs = /* GraphQL */ `
  "Any JSON value (build manifests, template config)."
  scalar JSON

  enum FlashBootType {
    FLASHBOOT
    OFF
  }

  type Query {
    myself: User!
    podTemplate(id: String!): PodTemplate
    flashApp(flashAppId: String!): FlashApp
    flashAppByName(flashAppName: String!): FlashApp
    flashEnvironment(flashEnvironmentId: String!): FlashEnvironment
    flashEnvironmentByName(input: FlashEnvironmentByNameInput!): FlashEnvironment
    flashBuild(flashBuildId: String!): FlashBuild
    "RunPod's GPU types (a fixed list, gpu-resolvers.ts); all of them, or those the input names."
    gpuTypes(input: GpuTypeFilter): [GpuType!]!
  }

  input GpuTypeFilter {
    id: String
    ids: [String]
  }

  type GpuType {
    id: String!
    displayName: String!
    memoryInGb: Int!
    manufacturer: String
    cudaCores: Int
    secureCloud: Boolean
    communityCloud: Boolean
    maxGpuCount: Int
    securePrice: Float
    communityPrice: Float
    oneMonthPrice: Float
    threeMonthPrice: Float
    oneWeekPrice: Float
    communitySpotPrice: Float
    secureSpotPrice: Float
    lowestPrice(input: GpuLowestPriceInput): GpuLowestPrice
  }

  "As runpod-python and Python Flash send it; the emulator ignores it (no prices, always in stock)."
  input GpuLowestPriceInput {
    gpuCount: Int
    dataCenterId: String
    secureCloud: Boolean
    includeAiApi: Boolean
    minMemoryInGb: Int
    minVcpuCount: Int
    allowedCudaVersions: JSON
    compliance: JSON
  }

  type GpuLowestPrice {
    minimumBidPrice: Float
    uninterruptablePrice: Float
    stockStatus: String
  }

  type Mutation {
    saveTemplate(input: SaveTemplateInput): PodTemplate
    deleteTemplate(templateName: String): JSON
    saveEndpoint(input: EndpointInput!): Endpoint
    deleteEndpoint(id: String!): JSON
    updateEndpointTemplate(input: UpdateEndpointTemplateInput!): Endpoint
    createFlashApp(input: CreateFlashAppInput!): FlashApp
    deleteFlashApp(flashAppId: String!): JSON
    createFlashEnvironment(input: CreateFlashEnvironmentInput!): FlashEnvironment
    deleteFlashEnvironment(flashEnvironmentId: String!): JSON
    prepareFlashArtifactUpload(input: PrepareFlashArtifactUploadInput!): FlashArtifactUpload
    finalizeFlashArtifactUpload(input: FinalizeFlashArtifactUploadInput!): FlashBuild
    updateFlashBuildManifest(input: UpdateFlashBuildManifestInput!): FlashBuild
    deployBuildToEnvironment(input: DeployBuildToEnvironmentInput!): FlashEnvironment
    "Seen only in third-party clients; official ones use REST. Kept for deploy's find-or-create by name."
    createNetworkVolume(input: CreateNetworkVolumeInput!): NetworkVolume
  }

  type User {
    id: String!
    email: String
    pubKey: String
    endpoints: [Endpoint!]!
    endpoint(id: String!): Endpoint
    podTemplates: [PodTemplate!]!
    serverlessDiscount: ServerlessDiscount
    flashApps: [FlashApp!]!
    networkVolumes: [NetworkVolume!]!
  }

  type ServerlessDiscount {
    discountFactor: Float
    type: String
    expirationDate: String
  }

  type NetworkVolume {
    id: String!
    name: String!
    size: Int
    dataCenterId: String
  }

  type EnvironmentVariable {
    key: String!
    value: String!
  }

  input CreateNetworkVolumeInput {
    name: String!
    size: Int!
    dataCenterId: String!
  }

  input EnvironmentVariableInput {
    key: String!
    value: String!
  }

  type PodTemplate {
    id: String!
    name: String!
    imageName: String!
    containerDiskInGb: Int
    volumeInGb: Int
    volumeMountPath: String
    dockerArgs: String
    env: [EnvironmentVariable!]!
    ports: String
    isServerless: Boolean
    readme: String
    startScript: String
    advancedStart: Boolean
    containerRegistryAuthId: String
    category: String
  }

  input SaveTemplateInput {
    id: String
    name: String
    imageName: String
    containerDiskInGb: Int
    volumeInGb: Int
    volumeMountPath: String
    dockerArgs: String
    env: [EnvironmentVariableInput]
    ports: String
    isServerless: Boolean
    containerRegistryAuthId: String
    readme: String
    isPublic: Boolean
    startSsh: Boolean
    startJupyter: Boolean
    advancedStart: Boolean
    startScript: String
    category: String
  }

  "A template created inline with saveEndpoint (instead of templateId)."
  input EndpointTemplateInput {
    name: String
    imageName: String
    containerDiskInGb: Int
    volumeInGb: Int
    dockerArgs: String
    env: [EnvironmentVariableInput]
    ports: String
    startScript: String
    advancedStart: Boolean
    config: JSON
    containerRegistryAuthId: String
    readme: String
  }

  type NetworkVolumeRef {
    networkVolumeId: String!
    dataCenterId: String
  }

  input NetworkVolumeRefInput {
    networkVolumeId: String!
    dataCenterId: String
  }

  type Endpoint {
    id: String!
    name: String!
    templateId: String!
    template: PodTemplate
    type: String!
    computeType: String!
    gpuIds: String
    gpuCount: Int
    instanceIds: [String!]
    workersMin: Int!
    workersMax: Int!
    workersStandby: Int
    workersPFBTarget: Int
    idleTimeout: Int!
    scalerType: String!
    scalerValue: Int!
    executionTimeoutMs: Int
    flashBootType: FlashBootType
    networkVolumeId: String
    networkVolumeIds: [NetworkVolumeRef!]
    locations: String
    allowedCudaVersions: String
    minCudaVersion: String
    modelReferences: [String!]
    flashEnvironmentId: String
    activeBuildid: String
    idePodId: String
    aiKey: String
    userId: String!
    version: Int!
    createdAt: String
    env: [EnvironmentVariable!]!
    "The volume networkVolumeId names, if any."
    networkVolume: NetworkVolume
    "Always empty: the emulator's workers are local processes, not pods (see the queue API's /health)."
    pods: [Pod!]!
  }

  type Pod {
    id: String!
    desiredStatus: String
  }

  input EndpointInput {
    id: String
    name: String
    templateId: String
    template: EndpointTemplateInput
    hubReleaseId: String
    type: String
    gpuIds: String
    gpuCount: Int
    instanceIds: [String]
    workersMin: Int
    workersMax: Int
    workersStandby: Int
    workersPFBTarget: Int
    idleTimeout: Int
    scalerType: String
    scalerValue: Int
    executionTimeoutMs: Int
    flashBootType: FlashBootType
    networkVolumeId: String
    networkVolumeIds: [NetworkVolumeRefInput]
    locations: String
    allowedCudaVersions: String
    minCudaVersion: String
    modelReferences: [String]
    flashEnvironmentId: String
  }

  input UpdateEndpointTemplateInput {
    endpointId: String!
    templateId: String!
  }

  type FlashApp {
    id: String!
    name: String!
    createdAt: String
    flashEnvironments: [FlashEnvironment!]!
    flashBuilds: [FlashBuild!]!
  }

  type FlashEnvironment {
    id: String!
    name: String!
    state: String!
    activeBuildId: String
    createdAt: String
    endpoints: [Endpoint!]!
    networkVolumes: [NetworkVolume!]!
    activeArtifact: FlashArtifact
  }

  type FlashBuild {
    id: String!
    objectKey: String
    manifest: JSON
    createdAt: String
  }

  type FlashArtifact {
    objectKey: String!
    downloadUrl: String
    expiresAt: String
  }

  type FlashArtifactUpload {
    uploadUrl: String!
    objectKey: String!
    expiresAt: String
  }

  input CreateFlashAppInput {
    name: String!
  }

  input CreateFlashEnvironmentInput {
    flashAppId: String!
    name: String!
  }

  input FlashEnvironmentByNameInput {
    flashAppId: String!
    name: String!
  }

  input PrepareFlashArtifactUploadInput {
    flashAppId: String!
    tarballSize: Float!
  }

  input FinalizeFlashArtifactUploadInput {
    flashAppId: String!
    objectKey: String!
    manifest: JSON
  }

  input UpdateFlashBuildManifestInput {
    flashBuildId: String!
    manifest: JSON
  }

  input DeployBuildToEnvironmentInput {
    flashEnvironmentId: String!
    flashBuildId: String!
  }
`;
