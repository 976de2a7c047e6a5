using System.Globalization;
using ExportAudit.Diagnostics;

namespace ExportAudit.Ingest.Yaml;

/// <summary>
/// Typed access to a mapping's fields with path:line errors: wrong types and missing required fields throw
/// (the file is not read), unknown fields are warnings (a typo must not pass silently).
/// </summary>
public sealed class YamlFields(string path, YMapping map, InputErrors errors, string what)
{
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public YMapping Map => map;

    public YNode? Node(string key)
    {
        _used.Add(key);
        return map.Get(key);
    }

    public string RequiredString(string key)
    {
        var node = Node(key) ?? throw new InputException(path, map.Line, $"{what}: missing required field '{key}'");
        return AsString(node, key) ?? throw new InputException(path, node.Line, $"{what}: '{key}' must not be empty");
    }

    public string? OptionalString(string key) => Node(key) is { } node ? AsString(node, key) : null;

    public bool? OptionalBool(string key)
    {
        if (Node(key) is not { } node || node is YScalar { IsNull: true })
        {
            return null;
        }
        if (node is YScalar { Plain: true } s)
        {
            switch (s.Value)
            {
                case "true" or "True" or "TRUE" or "yes" or "y" or "Y": return true;
                case "false" or "False" or "FALSE" or "no" or "n" or "N": return false;
            }
        }
        throw new InputException(path, node.Line, $"{what}: '{key}' must be true or false");
    }

    public int? OptionalInt(string key)
    {
        if (Node(key) is not { } node || node is YScalar { IsNull: true })
        {
            return null;
        }
        if (node is YScalar s && int.TryParse(s.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }
        throw new InputException(path, node.Line, $"{what}: '{key}' must be a whole number");
    }

    /// <summary>A string or a list of strings (license: Proprietary, or license: [GPL, Proprietary]).</summary>
    public IReadOnlyList<string> StringOrList(string key)
    {
        var node = Node(key);
        return node switch
        {
            null => [],
            YScalar { IsNull: true } => [],
            YScalar s => [s.Value],
            YSequence seq => seq.Items.Select(item => AsString(item, key) ?? throw new InputException(path, item.Line, $"{what}: '{key}' entries must not be empty")).ToArray(),
            _ => throw new InputException(path, node.Line, $"{what}: '{key}' must be a string or a list of strings"),
        };
    }

    public IReadOnlyList<string> StringList(string key)
    {
        var node = Node(key);
        return node switch
        {
            null => [],
            YScalar { IsNull: true } => [],
            YSequence seq => seq.Items.Select(item => AsString(item, key) ?? throw new InputException(path, item.Line, $"{what}: '{key}' entries must not be empty")).ToArray(),
            _ => throw new InputException(path, node.Line, $"{what}: '{key}' must be a list of strings, not a {node.KindName}"),
        };
    }

    public IReadOnlyList<YNode> List(string key)
    {
        var node = Node(key);
        return node switch
        {
            null => [],
            YScalar { IsNull: true } => [],
            YSequence seq => seq.Items,
            _ => throw new InputException(path, node.Line, $"{what}: '{key}' must be a list, not a {node.KindName}"),
        };
    }

    public YMapping AsMapping(YNode node, string key) => node as YMapping
        ?? throw new InputException(path, node.Line, $"{what}: '{key}' entries must be mappings, not a {node.KindName}");

    /// <summary>A CRC as Module.symvers and modprobe print it: 0x-prefixed hex, at most 32 bits.</summary>
    public uint? OptionalCrc(string key)
    {
        if (Node(key) is not { } node || node is YScalar { IsNull: true })
        {
            return null;
        }
        return ParseCrc(node, key);
    }

    public uint ParseCrc(YNode node, string key)
    {
        if (node is YScalar s && TryParseCrc(s.Value, out var crc))
        {
            return crc;
        }
        throw new InputException(path, node.Line, $"{what}: '{key}' must be a 32-bit CRC such as 0x1a2b3c4d");
    }

    public static bool TryParseCrc(string text, out uint crc)
    {
        crc = 0;
        if (!text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var digits = text.AsSpan(2);
        return digits.Length is > 0 and <= 8
            && uint.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out crc);
    }

    /// <summary>Warns about every field nobody asked for: call after reading the known ones.</summary>
    public void WarnUnknown()
    {
        foreach (var (key, _) in map.Entries)
        {
            if (!_used.Contains(key.Value))
            {
                errors.Warning(path, key.Line, $"{what}: unknown field '{key.Value}' (ignored)");
            }
        }
    }

    private string? AsString(YNode node, string key) => node switch
    {
        YScalar { IsNull: true } => null,
        YScalar s => s.Value,
        _ => throw new InputException(path, node.Line, $"{what}: '{key}' must be a string, not a {node.KindName}"),
    };
}
