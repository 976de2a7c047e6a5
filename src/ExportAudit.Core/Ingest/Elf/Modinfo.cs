namespace ExportAudit.Ingest.Elf;

/// <summary>.modinfo: NUL-separated key=value strings, with NUL padding between them (modpost's next_string()).</summary>
public static class Modinfo
{
    public static List<KeyValuePair<string, string>> Parse(ReadOnlySpan<byte> section)
    {
        var entries = new List<KeyValuePair<string, string>>();
        while (!section.IsEmpty)
        {
            var end = section.IndexOf((byte)0);
            var entry = end < 0 ? section : section[..end];
            if (!entry.IsEmpty)
            {
                var eq = entry.IndexOf((byte)'=');
                if (eq > 0)
                {
                    entries.Add(new(SymbolNames.Get(entry[..eq]), ElfView.Text(entry[(eq + 1)..])));
                }
            }
            section = end < 0 ? default : section[(end + 1)..];
        }
        return entries;
    }

    public static IReadOnlyList<string> All(IReadOnlyList<KeyValuePair<string, string>> modinfo, string key) =>
        modinfo.Where(e => e.Key == key).Select(e => e.Value).ToArray();

    public static string? First(IReadOnlyList<KeyValuePair<string, string>> modinfo, string key)
    {
        foreach (var (k, v) in modinfo)
        {
            if (k == key)
            {
                return v;
            }
        }
        return null;
    }
}
