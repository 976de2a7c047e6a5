using ExportAudit.Ingest.Config;

namespace ExportAudit.Ingest.Source;

/// <summary>
/// Evaluates a #if expression in three values: true, false, or unknown (null). Without a config only a
/// literal 0 or 1 is known — every other branch counts, as contracts.md says. With a config, CONFIG_ symbols,
/// defined(), IS_ENABLED(), IS_BUILTIN(), IS_MODULE() and IS_REACHABLE() are known; other macros stay unknown.
/// </summary>
public sealed class ConditionEvaluator(KernelConfig? config)
{
    private List<string> _tokens = [];
    private int _pos;

    public bool? Evaluate(IReadOnlyList<string> tokens)
    {
        _tokens = [.. tokens];
        _pos = 0;
        try
        {
            var value = Or();
            return _pos == _tokens.Count && value is { } v ? v != 0 : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private Dictionary<string, bool>? _local;

    /// <summary>A #define (true) or #undef (false) seen earlier in the file: #ifdef on that name is then known.</summary>
    public void SetLocal(string name, bool defined) => (_local ??= new(StringComparer.Ordinal))[name] = defined;

    /// <summary>#ifdef NAME / #ifndef NAME.</summary>
    public bool? IsDefined(string name) =>
        _local is not null && _local.TryGetValue(name, out var local) ? local
        : config is not null && name.StartsWith("CONFIG_", StringComparison.Ordinal) ? config.IsDefined(name) : null;

    private string? Peek => _pos < _tokens.Count ? _tokens[_pos] : null;

    private bool Accept(string text)
    {
        if (Peek == text)
        {
            _pos++;
            return true;
        }
        return false;
    }

    private long? Or()
    {
        var left = And();
        while (Peek == "|" && _pos + 1 < _tokens.Count && _tokens[_pos + 1] == "|")
        {
            _pos += 2;
            var right = And();
            left = left is not 0 and not null || right is not 0 and not null ? 1 : left == 0 && right == 0 ? 0 : null;
        }
        return left;
    }

    private long? And()
    {
        var left = Comparison();
        while (Peek == "&" && _pos + 1 < _tokens.Count && _tokens[_pos + 1] == "&")
        {
            _pos += 2;
            var right = Comparison();
            left = left == 0 || right == 0 ? 0 : left is null || right is null ? null : 1;
        }
        return left;
    }

    private long? Comparison()
    {
        var left = Additive();
        while (true)
        {
            string? op = null;
            if (Peek is "=" or "!" or "<" or ">" && _pos + 1 < _tokens.Count && _tokens[_pos + 1] == "=") { op = _tokens[_pos] + "="; _pos += 2; }
            else if (Peek is "<" or ">") { op = _tokens[_pos]; _pos++; }
            if (op is null)
            {
                return left;
            }
            var right = Additive();
            left = left is null || right is null ? null : op switch
            {
                "==" => left == right ? 1 : 0,
                "!=" => left != right ? 1 : 0,
                "<" => left < right ? 1 : 0,
                ">" => left > right ? 1 : 0,
                "<=" => left <= right ? 1 : 0,
                _ => left >= right ? 1 : 0,
            };
        }
    }

    private long? Additive()
    {
        var left = Unary();
        while (Peek is "+" or "-" or "*" or "/")
        {
            var op = _tokens[_pos++];
            var right = Unary();
            left = left is null || right is null ? null : op switch
            {
                "+" => left + right,
                "-" => left - right,
                "*" => left * right,
                _ => right == 0 ? null : left / right,
            };
        }
        return left;
    }

    private long? Unary()
    {
        if (Accept("!"))
        {
            var value = Unary();
            return value is null ? null : value == 0 ? 1 : 0;
        }
        if (Accept("-"))
        {
            return -Unary();
        }
        if (Accept("("))
        {
            var value = Or();
            if (!Accept(")")) throw new FormatException();
            return value;
        }
        var token = Peek ?? throw new FormatException();
        _pos++;
        if (char.IsDigit(token[0]))
        {
            var digits = token.TrimEnd('u', 'U', 'l', 'L');
            return digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? long.TryParse(digits.AsSpan(2), System.Globalization.NumberStyles.HexNumber, null, out var hex) ? hex : null
                : long.TryParse(digits, out var number) ? number : null;
        }
        if (token == "defined")
        {
            var paren = Accept("(");
            var name = Peek ?? throw new FormatException();
            _pos++;
            if (paren && !Accept(")")) throw new FormatException();
            return IsDefined(name) is { } d ? (d ? 1 : 0) : null;
        }
        if (token is "IS_ENABLED" or "IS_BUILTIN" or "IS_MODULE" or "IS_REACHABLE" && Accept("("))
        {
            var name = Peek ?? throw new FormatException();
            _pos++;
            if (!Accept(")")) throw new FormatException();
            if (config is null || !name.StartsWith("CONFIG_", StringComparison.Ordinal))
            {
                return null;
            }
            return token switch
            {
                "IS_BUILTIN" => config.IsBuiltin(name) ? 1 : 0,
                "IS_MODULE" => config.IsModule(name) ? 1 : 0,
                _ => config.IsBuiltin(name) || config.IsModule(name) ? 1 : 0,
            };
        }
        if (Peek == "(")
        {
            // An unknown function-like macro: skip its arguments, its value is unknown.
            var depth = 0;
            do
            {
                if (Peek == "(") depth++;
                if (Peek == ")") depth--;
                _pos++;
            }
            while (depth > 0 && _pos < _tokens.Count);
            return null;
        }
        return config is not null && token.StartsWith("CONFIG_", StringComparison.Ordinal) ? config.Value(token) : null;
    }
}
