import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Why MLX could not compile graphs for the CPU here, or undefined when it can. On the CPU,
 * core.compile writes each fused kernel as C++ into the temporary directory and builds it there
 * with `g++` from PATH (keeping the .so for later processes). When that fails MLX throws on its
 * scheduler thread, which aborts the whole process (measured: "terminate called after throwing
 * ... Failed to compile function"), so what it needs is checked before any compiled graph runs.
 */
export function whyNoCpuJit(): string | undefined {
  const compiler = onPath('g++');
  if (compiler === undefined) return 'MLX runs on the CPU here and builds its compiled graphs with g++, which is not on PATH (apt-get install g++)';
  const temp = libstdcxxTempDirectory();
  try {
    if (!statSync(temp).isDirectory()) return `MLX builds its compiled graphs in the temporary directory ${temp}, which is not a directory`;
    accessSync(temp, constants.W_OK);
  } catch (err) {
    return `MLX builds its compiled graphs in the temporary directory ${temp}, which is not writable: ${err instanceof Error ? err.message : String(err)}`;
  }
  return undefined;
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** std::filesystem::temp_directory_path() of libstdc++: the first of these variables set, else /tmp. */
function libstdcxxTempDirectory(): string {
  for (const name of ['TMPDIR', 'TMP', 'TEMP', 'TEMPDIR']) {
    const value = process.env[name];
    if (value !== undefined && value !== '') return value;
  }
  return '/tmp';
}
