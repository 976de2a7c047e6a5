namespace ExportAudit.Model;

/// <summary>A function of a kernel model and the symbols it calls, exported or not: the call graph later checks follow.</summary>
public sealed record FunctionInfo(string Name, Site? Definition, IReadOnlyList<string> Calls, bool Exported)
{
    /// <summary>Statements in the body (from source; 0 when unknown, as in models): thin wrappers rank first.</summary>
    public int Statements { get; init; }
}

/// <summary>A simulated kernel (samples/): its exports, the traits of its configuration and its call graph.</summary>
public sealed record KernelModel(
    string Name,
    string? Version,
    string? Description,
    IReadOnlyList<Export> Exports,
    IReadOnlyDictionary<string, FunctionInfo> Functions,
    KernelTraits Traits);
