using System.Globalization;
using ExportAudit.Diagnostics;
using ExportAudit.Model;

namespace ExportAudit.Ingest.Symvers;

public sealed record SymversFile(string Path, SymversLayout Layout, IReadOnlyList<Export> Exports);

/// <summary>
/// Reads Module.symvers in every layout it has had. A bad row is reported with path:line and skipped;
/// the rest of the file is still read, so one bad row loses one export, not the kernel.
/// </summary>
public static class SymversReader
{
    public static SymversFile Read(string path, InputErrors errors)
    {
        using var reader = new StreamReader(path, new System.Text.UTF8Encoding(false, false), detectEncodingFromByteOrderMarks: false);
        return Read(path, reader, errors);
    }

    public static SymversFile Read(string path, TextReader reader, InputErrors errors)
    {
        var exports = new List<Export>();
        SymversLayout? layout = null;
        var lineNumber = 0;
        string? line;
        var fields = new List<string>(5);
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }
            if (line.Contains('\0'))
            {
                errors.Error(path, lineNumber, "binary data in Module.symvers row");
                continue;
            }
            fields.Clear();
            fields.AddRange(line.Split('\t'));
            var rowLayout = SymversDetector.FromFields(fields);
            if (rowLayout is null)
            {
                errors.Error(path, lineNumber, $"not a Module.symvers row: {fields.Count} tab-separated fields, expected 3, 4 or 5 with an export type");
                continue;
            }
            layout ??= rowLayout;
            if (rowLayout != layout)
            {
                errors.Error(path, lineNumber, $"row has the {Describe(rowLayout.Value)} layout, but this file's first row has the {Describe(layout.Value)} layout");
                continue;
            }
            if (Parse(path, lineNumber, fields, layout.Value, errors) is { } export)
            {
                exports.Add(export);
            }
        }
        return new SymversFile(path, layout ?? SymversLayout.Empty, exports);
    }

    private static Export? Parse(string path, int line, List<string> f, SymversLayout layout, InputErrors errors)
    {
        var (crcText, symbol) = (f[0], f[1]);
        var (module, type, ns) = layout switch
        {
            SymversLayout.Namespaced => (f[2], f[3], f[4]),
            SymversLayout.NamespaceThird => (f[3], f[4], f[2]),
            SymversLayout.FourColumn => (f[2], f[3], ""),
            _ => (f[2], "EXPORT_SYMBOL", ""),
        };
        if (!TryParseCrc(crcText, out var crc))
        {
            errors.Error(path, line, $"bad CRC '{crcText}' (expected 0x followed by at most 8 hex digits)");
            return null;
        }
        if (symbol.Length == 0 || module.Length == 0)
        {
            errors.Error(path, line, symbol.Length == 0 ? "empty symbol name" : "empty module name");
            return null;
        }
        if (!ExportKinds.TryParse(type, out var kind))
        {
            errors.Error(path, line, $"unknown export type '{type}'");
            return null;
        }
        return new Export(symbol, kind, ns.Length == 0 ? null : ns, module, crc, null, new Site(path, line));
    }

    private static bool TryParseCrc(string text, out uint crc)
    {
        var digits = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text.AsSpan(2) : text.AsSpan();
        crc = 0;
        return digits.Length is > 0 and <= 8
            && uint.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out crc);
    }

    private static string Describe(SymversLayout layout) => layout switch
    {
        SymversLayout.Namespaced => "5.6+ (CRC, symbol, module, type, namespace)",
        SymversLayout.NamespaceThird => "early 5.4/5.5 (CRC, symbol, namespace, module, type)",
        SymversLayout.FourColumn => "2.6.18-5.3 (CRC, symbol, module, type)",
        SymversLayout.ThreeColumn => "pre-2.6.18 (CRC, symbol, module)",
        _ => "empty",
    };
}
