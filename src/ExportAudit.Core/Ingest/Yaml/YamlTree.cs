using ExportAudit.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ExportAudit.Ingest.Yaml;

/// <summary>A YAML node with the line it starts on, so every message can say path:line.</summary>
public abstract record YNode(int Line)
{
    /// <summary>Nodes in this subtree, counting alias expansions: bounds what a consumer may walk.</summary>
    public abstract long Size { get; }

    public string KindName => this switch
    {
        YScalar s when s.IsNull => "null",
        YScalar => "scalar",
        YSequence => "list",
        YMapping => "mapping",
        _ => "node",
    };
}

public sealed record YScalar(int Line, string Value, bool Plain) : YNode(Line)
{
    public override long Size => 1;

    /// <summary>A plain <c>~</c>, <c>null</c> or empty scalar is YAML's null; a quoted one is a string.</summary>
    public bool IsNull => Plain && Value is "" or "~" or "null" or "Null" or "NULL";
}

public sealed record YSequence(int Line, IReadOnlyList<YNode> Items, long SubtreeSize) : YNode(Line)
{
    public override long Size => SubtreeSize;
}

public sealed record YMapping(int Line, IReadOnlyList<KeyValuePair<YScalar, YNode>> Entries, long SubtreeSize) : YNode(Line)
{
    public override long Size => SubtreeSize;

    public YNode? Get(string key)
    {
        foreach (var (k, v) in Entries)
        {
            if (k.Value == key)
            {
                return v;
            }
        }
        return null;
    }
}

/// <summary>
/// Loads YAML documents into <see cref="YNode"/> trees with line numbers, using YamlDotNet's parser.
/// Duplicate keys and non-scalar keys are errors; aliases are resolved by reference and their expanded
/// size is bounded, so an alias bomb is refused instead of exhausting memory.
/// </summary>
public static class YamlTree
{
    public const long MaxExpandedNodes = 1_000_000;

    /// <summary>A YAML file: binary data and invalid UTF-8 are input errors (with the offset) before parsing.</summary>
    public static IReadOnlyList<YNode> LoadFile(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var nul = bytes.AsSpan().IndexOf((byte)0);
        if (nul >= 0)
        {
            throw new InputException(path, null, "binary data, not YAML", nul);
        }
        string text;
        try
        {
            text = new System.Text.UTF8Encoding(false, true).GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new InputException(path, null, "not valid UTF-8 text");
        }
        return LoadAll(path, new StringReader(text));
    }

    /// <summary>A YAML file that must hold exactly one mapping (policies, waivers, the config file).</summary>
    public static YMapping LoadMapping(string path, string what)
    {
        var documents = LoadFile(path);
        return documents is [YMapping map] ? map
            : throw new InputException(path, documents.Count > 0 ? documents[0].Line : 1, $"{what}: expected one YAML mapping");
    }

    public static IReadOnlyList<YNode> LoadAll(string path, TextReader reader)
    {
        var parser = new Parser(reader);
        var documents = new List<YNode>();
        try
        {
            parser.Consume<StreamStart>();
            while (parser.TryConsume<DocumentStart>(out _))
            {
                var anchors = new Dictionary<string, YNode>(StringComparer.Ordinal);
                long budget = 0;
                var root = ReadNode(path, parser, anchors, ref budget);
                parser.Consume<DocumentEnd>();
                documents.Add(root);
            }
            parser.Consume<StreamEnd>();
        }
        catch (YamlException e)
        {
            throw new InputException(path, checked((int)e.Start.Line), "YAML: " + FirstLine(e.Message));
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException or FormatException)
        {
            // YamlDotNet's parser throws these on some malformed input (found by fuzzing): still bad input, not a crash.
            var line = parser.Current is { } current ? (int?)checked((int)current.Start.Line) : null;
            throw new InputException(path, line, "YAML: malformed document (" + FirstLine(e.Message) + ")");
        }
        return documents;
    }

    private static YNode ReadNode(string path, IParser parser, Dictionary<string, YNode> anchors, ref long budget)
    {
        var line = checked((int)parser.Current!.Start.Line);
        YNode node;
        string? anchor = null;
        switch (parser.Current)
        {
            case AnchorAlias alias:
                parser.MoveNext();
                if (!anchors.TryGetValue(alias.Value.Value, out var target))
                {
                    throw new InputException(path, line, $"YAML: alias *{alias.Value.Value} names no anchor");
                }
                budget += target.Size;
                if (budget > MaxExpandedNodes)
                {
                    throw new InputException(path, line, $"YAML: aliases expand to more than {MaxExpandedNodes:N0} nodes");
                }
                return target;
            case Scalar scalar:
                parser.MoveNext();
                anchor = scalar.Anchor.IsEmpty ? null : scalar.Anchor.Value;
                node = new YScalar(line, scalar.Value, scalar.Style == ScalarStyle.Plain);
                budget++;
                break;
            case SequenceStart start:
                parser.MoveNext();
                anchor = start.Anchor.IsEmpty ? null : start.Anchor.Value;
                var items = new List<YNode>();
                long size = 1;
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    var item = ReadNode(path, parser, anchors, ref budget);
                    items.Add(item);
                    size += item.Size;
                }
                budget++;
                node = new YSequence(line, items, size);
                break;
            case MappingStart start:
                parser.MoveNext();
                anchor = start.Anchor.IsEmpty ? null : start.Anchor.Value;
                var entries = new List<KeyValuePair<YScalar, YNode>>();
                var seen = new HashSet<string>(StringComparer.Ordinal);
                long mapSize = 1;
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    var key = ReadNode(path, parser, anchors, ref budget);
                    if (key is not YScalar scalarKey)
                    {
                        throw new InputException(path, key.Line, "YAML: a mapping key must be a plain value");
                    }
                    if (!seen.Add(scalarKey.Value))
                    {
                        throw new InputException(path, key.Line, $"YAML: duplicate key '{scalarKey.Value}'");
                    }
                    var value = ReadNode(path, parser, anchors, ref budget);
                    entries.Add(new(scalarKey, value));
                    mapSize += 1 + value.Size;
                }
                budget++;
                node = new YMapping(line, entries, mapSize);
                break;
            default:
                throw new InputException(path, line, $"YAML: unexpected {parser.Current.GetType().Name}");
        }
        if (budget > MaxExpandedNodes)
        {
            throw new InputException(path, line, $"YAML: more than {MaxExpandedNodes:N0} nodes");
        }
        if (anchor is not null)
        {
            anchors[anchor] = node;
        }
        return node;
    }

    private static string FirstLine(string message)
    {
        var newline = message.IndexOfAny(['\r', '\n']);
        return newline < 0 ? message : message[..newline];
    }
}
