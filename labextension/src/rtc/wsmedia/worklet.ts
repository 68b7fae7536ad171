/** Each context's worklet modules, by source: a processor name can be registered only once per context. */
const loaded = new WeakMap<BaseAudioContext, Map<string, Promise<void>>>();

/**
 * Add an AudioWorklet module given as source text. It is loaded from a Blob
 * URL, so the extension ships no separate worklet file for the build to find.
 */
export function loadWorkletModule(context: BaseAudioContext, source: string): Promise<void> {
  let modules = loaded.get(context);
  if (!modules) {
    modules = new Map();
    loaded.set(context, modules);
  }
  let module = modules.get(source);
  if (!module) {
    const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    module = context.audioWorklet.addModule(url).finally(() => URL.revokeObjectURL(url));
    modules.set(source, module);
  }
  return module;
}
