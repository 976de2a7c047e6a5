namespace ExportAudit.Model;

/// <summary>Two exports of one symbol name that modpost would call "exported twice".</summary>
public sealed record ExportClash(Export Previous, Export Current, string Source);

/// <summary>
/// Every export visible to a build or a load, keyed by symbol name. Built like modpost's hash: sources are
/// added in reading order and a later export of the same name replaces the earlier one, but never silently —
/// see <see cref="SymbolTableBuilder"/>.
/// </summary>
public sealed class SymbolTable
{
    private readonly Dictionary<string, Export> _byName;

    internal SymbolTable(Dictionary<string, Export> byName, IReadOnlyList<ExportClash> clashes)
    {
        _byName = byName;
        Clashes = clashes;
    }

    public static SymbolTable Empty { get; } = new(new Dictionary<string, Export>(StringComparer.Ordinal), []);

    public IReadOnlyList<ExportClash> Clashes { get; }

    public int Count => _byName.Count;

    public Export? Find(string name) => _byName.GetValueOrDefault(name);

    public IEnumerable<Export> All => _byName.Values;

    /// <summary>True when the kernel was built with CONFIG_MODVERSIONS: it then exports module_layout.</summary>
    public bool HasModversions => _byName.TryGetValue("module_layout", out var e) && e.IsVmlinux;
}

/// <summary>
/// Merges exports from any number of sources in reading order.
/// <list type="bullet">
/// <item>The same symbol from the same owner in two different sources (a tree and its own Module.symvers) is one export.</item>
/// <item>Otherwise a second export is a clash, as modpost's sym_add_exported() reports it — except that an external
/// (M=) build silently takes a re-export of another module's symbol; only a clash with vmlinux or within one module
/// is reported then. Either way the later export wins, as in modpost's hash.</item>
/// </list>
/// </summary>
public sealed class SymbolTableBuilder(bool externalBuild = true)
{
    private readonly Dictionary<string, (Export Export, string Source)> _byName = new(StringComparer.Ordinal);
    private readonly List<ExportClash> _clashes = [];

    /// <param name="source">Identifies the file or input the export came from; same-owner duplicates across sources merge.</param>
    public void Add(Export export, string source)
    {
        if (_byName.TryGetValue(export.Name, out var existing))
        {
            var previous = existing.Export;
            if (previous.Owner == export.Owner && existing.Source != source)
            {
                _byName[export.Name] = (Merge(previous, export), existing.Source);
                return;
            }
            if (!externalBuild || previous.IsVmlinux || previous.Owner == export.Owner)
            {
                _clashes.Add(new ExportClash(previous, export, source));
            }
        }
        _byName[export.Name] = (export, source);
    }

    public void AddRange(IEnumerable<Export> exports, string source)
    {
        foreach (var export in exports)
        {
            Add(export, source);
        }
    }

    public SymbolTable Build()
    {
        var byName = new Dictionary<string, Export>(_byName.Count, StringComparer.Ordinal);
        foreach (var (name, entry) in _byName)
        {
            byName[name] = entry.Export;
        }
        return new SymbolTable(byName, _clashes.ToArray());
    }

    // One export seen twice: keep what the first source said and fill in what it lacked.
    private static Export Merge(Export first, Export second) => first with
    {
        Namespace = first.Namespace ?? second.Namespace,
        Crc = first.Crc ?? second.Crc,
        Definition = first.Definition ?? second.Definition,
        CrcAbsent = first.CrcAbsent && second.CrcAbsent,
    };
}
