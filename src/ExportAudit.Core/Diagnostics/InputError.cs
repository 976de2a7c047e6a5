namespace ExportAudit.Diagnostics;

/// <summary>
/// An input that could not be read, or a part of one. Printed as one line,
/// <c>exportaudit: PATH[:LINE|@OFFSET]: what is wrong</c>; errors make the exit code 2, warnings do not.
/// </summary>
public sealed record InputError(string Path, int? Line, long? Offset, string Message, Severity Severity = Severity.Error)
{
    public string Where => Line is { } line ? $"{Path}:{line}" : Offset is { } offset ? $"{Path}@{offset}" : Path;

    public override string ToString() => $"{Where}: {Message}";
}

/// <summary>Thrown by readers for input they cannot read; caught at the input boundary, never shown as a stack trace.</summary>
public sealed class InputException(string path, int? line, string message, long? offset = null) : Exception(message)
{
    public InputError Error { get; } = new(path, line, offset, message);
}

/// <summary>Collects input problems from any thread; the audit goes on and reports them at the end.</summary>
public sealed class InputErrors
{
    private readonly List<InputError> _items = [];

    public void Add(InputError error)
    {
        lock (_items)
        {
            _items.Add(error);
        }
    }

    public void Error(string path, int? line, string message) => Add(new InputError(path, line, null, message));

    public void Warning(string path, int? line, string message) => Add(new InputError(path, line, null, message, Severity.Warning));

    /// <summary>Sorted by path, line and text: the order does not depend on threads.</summary>
    public IReadOnlyList<InputError> Snapshot()
    {
        lock (_items)
        {
            return _items
                .OrderBy(e => e.Path, StringComparer.Ordinal)
                .ThenBy(e => e.Line ?? 0)
                .ThenBy(e => e.Offset ?? 0)
                .ThenBy(e => e.Message, StringComparer.Ordinal)
                .ToArray();
        }
    }

    public bool HasErrors
    {
        get
        {
            lock (_items)
            {
                return _items.Any(e => e.Severity == Severity.Error);
            }
        }
    }
}
