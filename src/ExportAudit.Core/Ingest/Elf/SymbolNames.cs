using System.Collections.Concurrent;
using System.Text;

namespace ExportAudit.Ingest.Elf;

/// <summary>
/// One string per distinct symbol name across all modules read: a tree's 180,000 undefined symbols name
/// about 12,000 distinct exports, so decoding each once saves most of the allocations of a tree scan.
/// Thread-safe; lookups by UTF-16 span allocate nothing.
/// </summary>
public static class SymbolNames
{
    // Many lock stripes and room for a source tree scan's names (linux-source-6.1: 50,000) from the start: at the
    // defaults (a stripe per core, 31 buckets) the table grew a dozen times under both workers, each time holding
    // every lock while the other worker spun. The call graph, with 640,000 names, interns in tables of its own.
    private static readonly ConcurrentDictionary<string, string> Pool = new(concurrencyLevel: 64, capacity: 1 << 16, StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> Lookup =
        Pool.GetAlternateLookup<ReadOnlySpan<char>>();

    public static string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > 256)
        {
            return Encoding.UTF8.GetString(utf8);
        }
        Span<char> chars = stackalloc char[256];
        var count = Encoding.UTF8.GetChars(utf8, chars);
        var span = chars[..count];
        if (Lookup.TryGetValue(span, out var existing))
        {
            return existing;
        }
        var text = new string(span);
        return Pool.GetOrAdd(text, text);
    }
}
