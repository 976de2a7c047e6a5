using System.Numerics;
using System.Text;

namespace ExportAudit.Ingest.Source;

/// <summary>
/// A set of ASCII names looked up by a token's bytes, without widening them to chars or making a string: the call
/// graph asks it about every identifier of every function body of a tree (~100 million lookups for linux-source-6.1).
/// </summary>
public sealed class Utf8NameSet
{
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly ulong[] _filter;
    private readonly int _shift;

    public Utf8NameSet(IEnumerable<string> names)
    {
        var set = new HashSet<string>(names, Comparer.Instance);
        _lookup = set.GetAlternateLookup<ReadOnlySpan<byte>>();
        Count = set.Count;
        // 32 bits a name, 1,024 to 2^20 bits (128 KiB for a tree's 25,000 exports: 2 % of them set).
        var log2 = Math.Clamp(BitOperations.Log2((uint)Math.Max(1, Count) * 32u - 1) + 1, 10, 20);
        _filter = new ulong[(1 << log2) / 64];
        _shift = 32 - log2;
        foreach (var name in set)
        {
            var bit = Bit(name.Length, name.Length > 0 ? name[0] : 0, name.Length > 1 ? name[1] : 0, name.Length > 0 ? name[^1] : 0);
            _filter[bit >> 6] |= 1UL << bit;
        }
    }

    public int Count { get; }

    /// <summary>Most identifiers of a function body are locals, fields and keywords: a bit for the name's length and
    /// first, second and last bytes turns most of them away before the name is hashed whole (the call graph of
    /// linux-source-6.1, one thread, alternating runs: 6.1-6.8 s against 6.9-8.5 s without it).</summary>
    public bool TryGetValue(ReadOnlySpan<byte> name, out string value)
    {
        if (name.Length == 0)
        {
            value = null!;
            return false;
        }
        var bit = Bit(name.Length, name[0], name.Length > 1 ? name[1] : 0, name[^1]);
        if ((_filter[bit >> 6] & (1UL << bit)) == 0)
        {
            value = null!;
            return false;
        }
        return _lookup.TryGetValue(name, out value!);
    }

    private int Bit(int length, int first, int second, int last) =>
        (int)(((uint)length * 0x9E3779B1u ^ (uint)first * 0x85EBCA77u ^ (uint)second * 0x27D4EB2Fu ^ (uint)last * 0xC2B2AE3Du) >> _shift);

    // FNV-1a over the bytes (a name's chars are its bytes: export names are ASCII).
    internal sealed class Comparer : IEqualityComparer<string>, IAlternateEqualityComparer<ReadOnlySpan<byte>, string>
    {
        public static readonly Comparer Instance = new();

        public bool Equals(string? x, string? y) => string.Equals(x, y, StringComparison.Ordinal);

        public int GetHashCode(string name)
        {
            var hash = 2166136261u;
            foreach (var c in name) hash = (hash ^ (byte)c) * 16777619u;
            return (int)hash;
        }

        public bool Equals(ReadOnlySpan<byte> bytes, string name)
        {
            if (bytes.Length != name.Length) return false;
            for (var i = 0; i < bytes.Length; i++)
            {
                if (bytes[i] != name[i]) return false;
            }
            return true;
        }

        public int GetHashCode(ReadOnlySpan<byte> bytes)
        {
            var hash = 2166136261u;
            foreach (var b in bytes) hash = (hash ^ b) * 16777619u;
            return (int)hash;
        }

        public string Create(ReadOnlySpan<byte> bytes) => Encoding.ASCII.GetString(bytes);
    }
}

/// <summary>
/// One string per distinct ASCII name, looked up by its bytes: a worker's own table, without locks, gone with the work
/// it served. The call graph of a tree interns every function's name (linux-source-6.1: 640,000 distinct), which the
/// process-wide pool would keep for the process's life and grow under both workers (in-process, the graph took
/// 4.4-4.9 s with these tables, 4.6-4.7 s with the pool pre-sized for them, ~5.9 s with the pool as it was).
/// </summary>
public sealed class Utf8NameTable
{
    private readonly HashSet<string> _names = new(Utf8NameSet.Comparer.Instance);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    public Utf8NameTable() => _lookup = _names.GetAlternateLookup<ReadOnlySpan<byte>>();

    public string Get(ReadOnlySpan<byte> name)
    {
        if (_lookup.TryGetValue(name, out var existing))
        {
            return existing;
        }
        var text = Encoding.ASCII.GetString(name);
        _names.Add(text);
        return text;
    }
}
