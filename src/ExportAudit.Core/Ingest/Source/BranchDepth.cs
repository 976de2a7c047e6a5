namespace ExportAudit.Ingest.Source;

/// <summary>
/// Brace depth across #if/#else as ctags keeps it: an #else branch starts at the depth its #if started at, and after
/// #endif the depth is the first branch's, so alternative function headers (or a '}' written in both branches, as
/// in drivers/char/pcmcia/cm4000_cs.c) do not unbalance the file.
/// </summary>
public sealed class BranchDepth
{
    private readonly Stack<(int AtIf, int? AfterFirst)> _open = new();

    public void If(int depth) => _open.Push((depth, null));

    public void Else(ref int depth)
    {
        if (_open.Count == 0) return;
        var (atIf, afterFirst) = _open.Pop();
        _open.Push((atIf, afterFirst ?? depth));
        depth = atIf;
    }

    public void Endif(ref int depth)
    {
        if (_open.Count > 0 && _open.Pop().AfterFirst is { } first) depth = first;
    }
}
