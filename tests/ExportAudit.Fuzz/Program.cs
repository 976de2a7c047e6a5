// AFL++ fuzzing of ExportAudit's parsers through SharpFuzz (in-process, persistent).
// Usage: ExportAudit.Fuzz TARGET            (under afl-fuzz; see fuzz.sh)
//        ExportAudit.Fuzz TARGET --replay DIR  (run every file of DIR once, e.g. a corpus or crashes)
using ExportAudit.Fuzz;
using SharpFuzz;

if (args.Length == 0 || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: ExportAudit.Fuzz TARGET [--replay DIR]; targets: {string.Join(", ", FuzzTargets.All.Keys)}");
    return 2;
}
if (args is [_, "--replay", var dir])
{
    var count = 0;
    foreach (var file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
    {
        target(File.ReadAllBytes(file));
        count++;
    }
    Console.WriteLine($"{args[0]}: {count} inputs replayed without a crash");
    return 0;
}
Fuzzer.Run(stream =>
{
    using var memory = new MemoryStream();
    stream.CopyTo(memory);
    target(memory.ToArray());
});
return 0;
