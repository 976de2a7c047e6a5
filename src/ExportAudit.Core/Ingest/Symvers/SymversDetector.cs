using ExportAudit.Model;

namespace ExportAudit.Ingest.Symvers;

/// <summary>
/// Recognises Module.symvers by content: tab-separated rows whose first field is a 0x CRC. The layout is
/// decided once per file, from its first row, and every later row must agree.
/// </summary>
public static class SymversDetector
{
    /// <summary>True when the first non-empty line looks like a symvers row.</summary>
    public static bool LooksLikeSymvers(ReadOnlySpan<byte> head)
    {
        var newline = head.IndexOf((byte)'\n');
        var line = newline < 0 ? head : head[..newline];
        if (line.Length < 4 || line[0] != (byte)'0' || (line[1] | 0x20) != (byte)'x')
        {
            return false;
        }
        var tab = line.IndexOf((byte)'\t');
        if (tab < 3)
        {
            return false;
        }
        foreach (var b in line[2..tab])
        {
            if (!Uri.IsHexDigit((char)b))
            {
                return false;
            }
        }
        return line[(tab + 1)..].IndexOf((byte)'\t') > 0;
    }

    /// <summary>Decides the layout from the fields of one row, or null when the row fits none.</summary>
    public static SymversLayout? FromFields(IReadOnlyList<string> fields)
    {
        return fields.Count switch
        {
            5 when ExportKinds.TryParse(fields[3], out _) => SymversLayout.Namespaced,
            5 when ExportKinds.TryParse(fields[4], out _) => SymversLayout.NamespaceThird,
            4 when ExportKinds.TryParse(fields[3], out _) => SymversLayout.FourColumn,
            3 => SymversLayout.ThreeColumn,
            _ => null,
        };
    }
}
