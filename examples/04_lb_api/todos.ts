import { CpuLiveLoadBalancer, type RequestContext, remote } from "runpod-flash";

const api = new CpuLiveLoadBalancer({ name: "todos_api", workersMax: 2 });

interface Todo {
  id: string;
  title: string;
  done: boolean;
}

// In memory, per worker: enough to show methods and path params.
const todos = new Map<string, Todo>();
let nextId = 1;

export const list = remote(api, { method: "GET", path: "/" }, async (query: { done?: string }) => {
  const all = [...todos.values()];
  return query.done === undefined ? all : all.filter((t) => String(t.done) === query.done);
});

export const create = remote(api, { method: "POST", path: "/" }, async (body: { title: string }) => {
  const todo = { id: String(nextId++), title: body.title, done: false };
  todos.set(todo.id, todo);
  return todo;
});

export const get = remote(api, { method: "GET", path: "/{id}" }, async (_q: unknown, ctx: RequestContext) => {
  return todos.get(ctx.params.id ?? "") ?? { error: "not found", id: ctx.params.id };
});

export const update = remote(
  api,
  { method: "PUT", path: "/{id}" },
  async (body: Partial<Pick<Todo, "title" | "done">>, ctx: RequestContext) => {
    const todo = todos.get(ctx.params.id ?? "");
    if (!todo) return { error: "not found", id: ctx.params.id };
    Object.assign(todo, body);
    return todo;
  },
);

export const remove = remote(
  api,
  { method: "DELETE", path: "/{id}" },
  async (_q: unknown, ctx: RequestContext) => {
    return { deleted: todos.delete(ctx.params.id ?? "") };
  },
);
