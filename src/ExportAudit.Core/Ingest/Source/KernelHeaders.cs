using System.Text;
using ExportAudit.Diagnostics;
using ExportAudit.Ingest.Config;

namespace ExportAudit.Ingest.Source;

/// <summary>
/// The kernel headers a module's source includes, read (never compiled) to see what their inline functions and
/// macros turn a call into: printk is a macro for _printk, kmalloc an inline that calls __kmalloc or
/// kmalloc_trace, rcu_read_lock an inline that calls the GPL-only __rcu_read_lock under CONFIG_PREEMPT_RCU.
/// Found beside the kernel's Module.symvers (a build tree, Debian's split linux-headers-*-ARCH and -common) or in a
/// source tree. Only the headers the module's #includes reach are read, in kbuild's include order; #if is evaluated
/// with the kernel's .config where it is there (unknown conditions count both ways). Every branch of an inline
/// counts, so a name behind a __builtin_constant_p() test that the compiler would fold away is still followed.
/// </summary>
public sealed class KernelHeaders
{
    private const int MaxHeaders = 20_000;

    private readonly string[] _searchPath;
    private readonly KernelConfig? _config;
    private readonly Dictionary<string, string?> _resolved = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _macros = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _inlines = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool[]> _deadParams = new(StringComparer.Ordinal); // function-like macros' never-evaluated parameters

    private KernelHeaders(string[] searchPath, KernelConfig? config)
    {
        _searchPath = searchPath;
        _config = config;
    }

    /// <summary>The directories searched for &lt;...&gt; includes, in order.</summary>
    public IReadOnlyList<string> SearchPath => _searchPath;

    public int HeadersRead => _read.Count;

    /// <summary>The headers of the kernel at <paramref name="kernelPath"/> (a Module.symvers, or the directory holding
    /// one, or a source tree); null when there are none beside it.</summary>
    /// <param name="config">The kernel's .config, for #if and the architecture (x86 without one).</param>
    public static KernelHeaders? Locate(string kernelPath, KernelConfig? config)
    {
        var dir = Directory.Exists(kernelPath) ? kernelPath : Path.GetDirectoryName(Path.GetFullPath(kernelPath)) ?? ".";
        var roots = new List<string> { dir };
        // Debian's linux-headers-VERSION-ARCH holds the generated headers; its Makefile includes the -common one.
        var makefile = Path.Combine(dir, "Makefile");
        if (File.Exists(makefile))
        {
            foreach (var line in File.ReadLines(makefile))
            {
                if (line.StartsWith("include ", StringComparison.Ordinal) && Path.GetDirectoryName(line["include ".Length..].Trim()) is { Length: > 0 } other && Directory.Exists(other))
                {
                    roots.Add(other);
                }
            }
        }
        if (!roots.Any(r => Directory.Exists(Path.Combine(r, "include", "linux"))))
        {
            return null;
        }
        var arch = config is null ? "x86" : KbuildOwners.ArchOf(config);
        var search = IncludeDirectories(arch).SelectMany(r => roots.Select(root => Path.Combine(root, r))).Where(Directory.Exists).ToArray();
        return new KernelHeaders(search, config);
    }

    /// <summary>Where kbuild looks for an angle-bracket #include, relative to the tree, in its LINUXINCLUDE order.</summary>
    public static string[] IncludeDirectories(string arch) =>
    [
        $"arch/{arch}/include", $"arch/{arch}/include/generated", "include", $"arch/{arch}/include/uapi",
        $"arch/{arch}/include/generated/uapi", "include/uapi", "include/generated/uapi",
    ];

    /// <summary>The names in a macro's body (of the headers read so far); null when no header defines it.</summary>
    public IReadOnlyCollection<string>? Macro(string name) => _macros.TryGetValue(name, out var body) ? body : null;

    /// <summary>The names a static inline function of the headers calls; null when no header defines one.</summary>
    public IReadOnlyCollection<string>? Inline(string name) => _inlines.TryGetValue(name, out var calls) ? calls : null;

    /// <summary>Reads the headers a module file includes (and what they include), each once.</summary>
    public void Include(string includingFile, IEnumerable<(string Name, bool Quoted)> includes, InputErrors errors)
    {
        var queue = new Queue<string>();
        // kbuild's -include: kconfig.h and compiler_types.h come before the file's own includes.
        foreach (var forced in (string[])["linux/kconfig.h", "linux/compiler_types.h"])
        {
            if (Find(forced, null) is { } path) queue.Enqueue(path);
        }
        foreach (var (name, quoted) in includes)
        {
            if (Find(name, quoted ? Path.GetDirectoryName(includingFile) : null) is { } path) queue.Enqueue(path);
        }
        while (queue.Count > 0 && _read.Count < MaxHeaders)
        {
            var header = queue.Dequeue();
            if (!_read.Add(header))
            {
                continue;
            }
            try
            {
                using var bytes = FileBytes.Open(header, SourceScanner.MaxFileBytes);
                foreach (var (name, quoted) in Read(header, bytes.Span))
                {
                    if (Find(name, quoted ? Path.GetDirectoryName(header) : null) is { } path && !_read.Contains(path)) queue.Enqueue(path);
                }
            }
            catch (InputException e)
            {
                errors.Add(e.Error);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Error(header, null, e.Message);
            }
        }
    }

    private string? Find(string name, string? quotedDir)
    {
        if (quotedDir is not null && File.Exists(Path.Combine(quotedDir, name)))
        {
            return Path.GetFullPath(Path.Combine(quotedDir, name));
        }
        if (_resolved.TryGetValue(name, out var known))
        {
            return known;
        }
        var found = _searchPath.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
        return _resolved[name] = found is null ? null : Path.GetFullPath(found);
    }

    // One header: its active macros and static inline functions, and its includes (those in active branches).
    private List<(string Name, bool Quoted)> Read(string file, ReadOnlySpan<byte> data)
    {
        var includes = new List<(string, bool)>();
        var conditions = new ConditionStack(_config);
        var inactiveFrom = new List<(int From, int To)>();
        var inactiveStart = 0;
        var tokenizer = new CTokenizer(data);
        var directive = new List<string>();
        var inDirective = false;
        var line = 0;

        while (tokenizer.Next(out var token))
        {
            if (token.Kind == CTokenKind.Directive)
            {
                inDirective = true;
                directive.Clear();
                line = token.Line;
                continue;
            }
            if (token.Kind != CTokenKind.DirectiveEnd)
            {
                if (inDirective) directive.Add(Text(data, token));
                continue;
            }
            inDirective = false;
            if (directive.Count == 0)
            {
                continue;
            }
            var wasInactive = conditions.Inactive;
            var rest = directive.GetRange(1, directive.Count - 1);
            if (!conditions.Apply(directive[0], rest) && !wasInactive && rest.Count > 0)
            {
                switch (directive[0])
                {
                    case "include":
                        if (rest[0].StartsWith('"')) includes.Add((rest[0].Trim('"'), true));
                        else if (rest[0] == "<") includes.Add((string.Concat(rest.Skip(1).TakeWhile(t => t != ">")), false));
                        break;
                    case "define":
                        Define(rest);
                        break;
                    case "undef":
                        _macros.Remove(rest[0]);
                        _deadParams.Remove(rest[0]);
                        break;
                }
            }
            var nowInactive = conditions.Inactive;
            if (!wasInactive && nowInactive) inactiveStart = line;
            else if (wasInactive && !nowInactive) inactiveFrom.Add((inactiveStart, line));
        }
        if (conditions.Inactive) inactiveFrom.Add((inactiveStart, int.MaxValue));
        var functions = FunctionExtractor.Extract(file, data)
            .Where(f => f.IsStatic && !inactiveFrom.Any(r => f.Line > r.From && f.Line < r.To))
            .ToList();
        if (functions.Count > 0)
        {
            BodyNames(data, functions);
        }
        return includes;
    }

    // Every name an inline function's body uses (calls, and variables such as kmalloc_caches), less member names and
    // the arguments a macro never evaluates (RCU_LOCKDEP_WARN(!rcu_is_watching(), ...) is "0 && (c)" without lockdep).
    private void BodyNames(ReadOnlySpan<byte> data, List<SourceFunction> functions)
    {
        var tokenizer = new CTokenizer(data);
        var index = 0;
        var depth = 0;
        var inDirective = false;
        HashSet<string>? names = null;
        var dead = new List<(bool[] Dead, int Arg, int Depth)>(); // open macro invocations in the body
        var parens = 0;
        CToken? previous = null;
        string? previousText = null;
        while (tokenizer.Next(out var token))
        {
            if (token.Kind == CTokenKind.Directive) { inDirective = true; continue; }
            if (token.Kind == CTokenKind.DirectiveEnd) { inDirective = false; continue; }
            if (inDirective) continue;
            while (index < functions.Count && token.Line > functions[index].EndLine)
            {
                index++;
                names = null;
                depth = 0;
            }
            if (index >= functions.Count)
            {
                break;
            }
            var function = functions[index];
            var punct = token.Kind == CTokenKind.Punct ? data[token.Start] : (byte)0;
            if (token.Line < function.Line)
            {
                continue;
            }
            if (names is null)
            {
                if (punct == '{')
                {
                    if (!_inlines.TryGetValue(function.Name, out names)) _inlines[function.Name] = names = new HashSet<string>(StringComparer.Ordinal);
                    depth = 1;
                    dead.Clear();
                    parens = 0;
                }
                continue;
            }
            if (punct == '{') depth++;
            else if (punct == '}' && --depth == 0) { names = null; continue; }
            else if (punct == '(')
            {
                parens++;
                if (previousText is not null && _deadParams.TryGetValue(previousText, out var deadParams)) dead.Add((deadParams, 0, parens));
                if (previousText is not null && UnevaluatedOperators.Contains(previousText)) dead.Add(([true, true, true, true], 0, parens));
            }
            else if (punct == ')')
            {
                if (dead.Count > 0 && dead[^1].Depth == parens) dead.RemoveAt(dead.Count - 1);
                parens--;
            }
            else if (punct == ',' && dead.Count > 0 && dead[^1].Depth == parens)
            {
                dead[^1] = (dead[^1].Dead, dead[^1].Arg + 1, dead[^1].Depth);
            }
            string? text = null;
            if (token.Kind == CTokenKind.Identifier)
            {
                text = Text(data, token);
                var member = previous is { Kind: CTokenKind.Punct } p && (data[p.Start] == '.' || data[p.Start] == '>' && p.Start > 0 && data[p.Start - 1] == '-');
                var unevaluated = dead.Any(d => d.Arg < d.Dead.Length && d.Dead[d.Arg]);
                if (!member && !unevaluated) names.Add(text);
            }
            previous = token;
            previousText = text;
        }
    }

    // "#define NAME body" or "#define NAME(params) body": the identifiers of the body, less the parameters.
    private void Define(List<string> rest)
    {
        var name = rest[0];
        var parameters = new HashSet<string>(StringComparer.Ordinal);
        var body = 1;
        if (rest.Count > 1 && rest[1] == "(")
        {
            var k = 2;
            for (; k < rest.Count && rest[k] != ")"; k++) parameters.Add(rest[k]);
            body = k + 1;
        }
        if (rest.Count > 1 && rest[1] == "(")
        {
            var ordered = rest.Skip(2).TakeWhile(t => t != ")").Where(t => t != ",").ToArray();
            var deadParams = ordered.Select(p => Enumerable.Range(body, Math.Max(0, rest.Count - body)).Where(i => rest[i] == p).All(i => Unevaluated(rest, i))).ToArray();
            if (deadParams.Any(d => d)) _deadParams[name] = deadParams;
            else _deadParams.Remove(name);
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = body; i < rest.Count; i++)
        {
            // "if (0) _printk(...)" (no_printk): type-checked, never called.
            if (rest[i] == "if" && i + 3 < rest.Count && rest[i + 1] == "(" && rest[i + 2] == "0" && rest[i + 3] == ")")
            {
                i = SkipStatement(rest, i + 4);
                continue;
            }
            var t = rest[i];
            if (t.Length > 0 && (char.IsAsciiLetter(t[0]) || t[0] == '_') && !parameters.Contains(t) && !Unevaluated(rest, i) && (i == 0 || rest[i - 1] != "." && rest[i - 1] != ">"))
            {
                names.Add(t);
            }
        }
        // Alternative definitions under unknown conditions: either may be the one compiled.
        if (_macros.TryGetValue(name, out var known)) known.UnionWith(names);
        else _macros[name] = names;
    }

    // From tokens[start], the index of the last token of one statement: to its ';' or its closing brace.
    private static int SkipStatement(List<string> tokens, int start)
    {
        var depth = 0;
        for (var i = start; i < tokens.Count; i++)
        {
            if (tokens[i] is "(" or "{" or "[") depth++;
            else if (tokens[i] is ")" or "}" or "]" && --depth < 0) return i - 1;
            else if (tokens[i] == ";" && depth == 0) return i;
            if (depth == 0 && tokens[i] == "}") return i;
        }
        return tokens.Count;
    }

    private static readonly HashSet<string> UnevaluatedOperators = new(StringComparer.Ordinal)
    {
        "sizeof", "typeof", "__typeof__", "__typeof", "typeof_member", "__same_type", "__builtin_types_compatible_p", "__builtin_constant_p", "_Static_assert", "static_assert",
    };

    // A token (a macro parameter or a name) at tokens[at] that C never evaluates: inside sizeof/typeof/__builtin_constant_p, or right after "0 &&"
    // (the kernel's way to type-check an expression it does not run: do { } while (0 && (c))).
    private static bool Unevaluated(List<string> tokens, int at)
    {
        var depth = 0;
        for (var i = at - 1; i >= 0; i--)
        {
            // "(__builtin_constant_p(E) && E)": the compiler folds the right side away (flush_workqueue's checks).
            if (depth == 0 && tokens[i] == "&" && i >= 2 && tokens[i - 1] == "&" && tokens[i - 2] == ")" && Opening(tokens, i - 2) is > 0 and var open
                && tokens[open - 1] == "__builtin_constant_p")
            {
                return true;
            }
            if (tokens[i] == ")") depth++;
            else if (tokens[i] == "(" && depth-- == 0)
            {
                if (i > 0 && UnevaluatedOperators.Contains(tokens[i - 1])) return true;
                if (i > 2 && tokens[i - 1] == "&" && tokens[i - 2] == "&" && tokens[i - 3] == "0") return true;
                depth = 0;
            }
        }
        return false;
    }

    // The '(' that the ')' at tokens[close] closes; -1 when none does.
    private static int Opening(List<string> tokens, int close)
    {
        var depth = 0;
        for (var i = close; i >= 0; i--)
        {
            if (tokens[i] == ")") depth++;
            else if (tokens[i] == "(" && --depth == 0) return i;
        }
        return -1;
    }

    private static string Text(ReadOnlySpan<byte> data, CToken token)
    {
        var text = Encoding.UTF8.GetString(token.Text(data));
        return text.Contains('\\') ? text.Replace("\\\r\n", "").Replace("\\\n", "") : text;
    }
}
