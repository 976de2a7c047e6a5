namespace ExportAudit.Ingest.Symvers;

/// <summary>The column layouts Module.symvers has had. One file has one layout.</summary>
public enum SymversLayout
{
    /// <summary>Empty file (an M= build that exports nothing): valid, no rows.</summary>
    Empty,
    /// <summary>CRC SYMBOL MODULE EXPORT_TYPE NAMESPACE — since 5190044c2965 (5.6, and the 5.4/5.5 stable series).</summary>
    Namespaced,
    /// <summary>CRC SYMBOL NAMESPACE MODULE EXPORT_TYPE — early 5.4 and 5.5.</summary>
    NamespaceThird,
    /// <summary>CRC SYMBOL MODULE EXPORT_TYPE — 2.6.18 to 5.3.</summary>
    FourColumn,
    /// <summary>CRC SYMBOL MODULE — before 2.6.18: no export type, every export is plain.</summary>
    ThreeColumn,
}
