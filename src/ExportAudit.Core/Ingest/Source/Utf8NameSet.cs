using System.Text;

namespace ExportAudit.Ingest.Source;

/// <summary>
/// A set of ASCII names looked up by a token's bytes, without widening them to chars or making a string: the call
/// graph asks it about every identifier of every function body of a tree (~100 million lookups for linux-source-6.1).
/// </summary>
public sealed class Utf8NameSet
{
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    public Utf8NameSet(IEnumerable<string> names)
    {
        var set = new HashSet<string>(names, Comparer.Instance);
        _lookup = set.GetAlternateLookup<ReadOnlySpan<byte>>();
        Count = set.Count;
    }

    public int Count { get; }

    public bool TryGetValue(ReadOnlySpan<byte> name, out string value) => _lookup.TryGetValue(name, out value!);

    // FNV-1a over the bytes (a name's chars are its bytes: export names are ASCII).
    private sealed class Comparer : IEqualityComparer<string>, IAlternateEqualityComparer<ReadOnlySpan<byte>, string>
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
