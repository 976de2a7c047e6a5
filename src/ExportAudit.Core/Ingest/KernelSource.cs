using ExportAudit.Model;

namespace ExportAudit.Ingest;

/// <summary>One --kernel SRC after reading: its exports, what it says of the kernel's configuration, and its model if it is one.</summary>
public sealed record KernelSource(string Path, string Kind, IReadOnlyList<Export> Exports, KernelTraits Traits, KernelModel? Model);
