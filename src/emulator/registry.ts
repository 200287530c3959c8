import { EventEmitter } from "node:events";

/**
 * The emulator's in-memory account: templates and endpoints as RunPod's control plane holds them.
 * The GraphQL control plane writes it; the queue API, worker protocol and supervisor read it and
 * react to its events. Nothing is persisted: an emulator restart starts from an empty account.
 */
export interface EmulatedTemplate {
  id: string;
  name: string;
  imageName: string;
  /** RunPod's shape: a list of key/value pairs. */
  env: { key: string; value: string }[];
  containerDiskInGb: number;
  dockerArgs: string;
  isServerless: boolean;
  volumeInGb: number;
  /** Any other input field RunPod accepts, kept as sent. */
  extra: Record<string, unknown>;
}

export interface EmulatedEndpoint {
  id: string;
  name: string;
  templateId: string;
  /** "QB" or "LB" (RunPod's `type` field). */
  type: "QB" | "LB";
  gpuIds: string;
  gpuCount: number;
  instanceIds: string[];
  workersMin: number;
  workersMax: number;
  idleTimeout: number;
  scalerType: string;
  scalerValue: number;
  executionTimeoutMs: number;
  flashBootType: string;
  networkVolumeId: string | null;
  locations: string | null;
  flashEnvironmentId: string | null;
  createdAt: string;
  /** Any other input field RunPod accepts, kept as sent. */
  extra: Record<string, unknown>;
}

interface RegistryEvents {
  "endpoint:saved": [endpoint: EmulatedEndpoint, previous: EmulatedEndpoint | undefined];
  "endpoint:deleted": [endpoint: EmulatedEndpoint];
  "template:saved": [template: EmulatedTemplate];
}

export class Registry extends EventEmitter<RegistryEvents> {
  readonly templates = new Map<string, EmulatedTemplate>();
  readonly endpoints = new Map<string, EmulatedEndpoint>();

  saveTemplate(template: EmulatedTemplate): EmulatedTemplate {
    this.templates.set(template.id, template);
    this.emit("template:saved", template);
    return template;
  }

  saveEndpoint(endpoint: EmulatedEndpoint): EmulatedEndpoint {
    const previous = this.endpoints.get(endpoint.id);
    this.endpoints.set(endpoint.id, endpoint);
    this.emit("endpoint:saved", endpoint, previous);
    return endpoint;
  }

  deleteEndpoint(id: string): EmulatedEndpoint | undefined {
    const endpoint = this.endpoints.get(id);
    if (!endpoint) return undefined;
    this.endpoints.delete(id);
    this.emit("endpoint:deleted", endpoint);
    return endpoint;
  }

  deleteTemplate(id: string): boolean {
    return this.templates.delete(id);
  }

  /** The endpoint's env: its template's env as a plain object. */
  envOf(endpoint: EmulatedEndpoint): Record<string, string> {
    const template = this.templates.get(endpoint.templateId);
    return Object.fromEntries((template?.env ?? []).map((e) => [e.key, e.value]));
  }
}
