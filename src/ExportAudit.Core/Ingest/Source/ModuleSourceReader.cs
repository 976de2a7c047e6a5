using System.Text;
using ExportAudit.Diagnostics;
using ExportAudit.Ingest.Config;
using ExportAudit.Model;

namespace ExportAudit.Ingest.Source;

/// <summary>
/// An out-of-tree module given as source (a directory with a Kbuild or Makefile naming obj-m, or one .c file): the
/// modules kbuild would build, each with the licenses, namespaces and exports its files declare and the names its
/// code uses. Nothing is compiled or run. The names become imports once the kernel is known
/// (<see cref="Resolve"/>): those the module declares external itself, and those the kernel or another input
/// exports, or what the kernel headers' macros and inline functions make of them (<see cref="KernelHeaders"/>). #if
/// is evaluated under the kernel's .config when given. Not seen: compiler-inserted calls (__fentry__,
/// __stack_chk_fail, retpoline thunks).
/// </summary>
public static class ModuleSourceReader
{
    /// <summary>A .c file, or a directory with C sources and a Kbuild/Makefile naming obj-m (or C sources alone).</summary>
    public static bool IsModuleSource(string path) =>
        File.Exists(path) ? path.EndsWith(".c", StringComparison.Ordinal)
        : Directory.Exists(path) && Directory.EnumerateFiles(path, "*.c").Any();

    /// <param name="config">The kernel's .config, for the #if of the module's files; null: every branch counts but #if 0.</param>
    public static IReadOnlyList<KernelModule> Read(string path, KernelConfig? config, InputErrors errors)
    {
        path = Path.GetFullPath(path).TrimEnd('/');
        if (File.Exists(path))
        {
            var dir = Path.GetDirectoryName(path)!;
            var name = Path.GetFileNameWithoutExtension(path);
            return Build(dir, name, [Path.GetFileName(path)], null, config, errors) is { } single ? [single] : [];
        }
        var kbuild = new[] { "Kbuild", "Makefile" }.Select(n => Path.Combine(path, n)).FirstOrDefault(f => File.Exists(f) && File.ReadAllText(f).Contains("obj-", StringComparison.Ordinal));
        var modules = new List<KernelModule>();
        if (kbuild is null)
        {
            // No Kbuild: each .c file is a module of its own, as "obj-m += NAME.o" for each would make it.
            foreach (var file in Directory.EnumerateFiles(path, "*.c").Order(StringComparer.Ordinal))
            {
                if (Build(path, Path.GetFileNameWithoutExtension(file), [Path.GetFileName(file)], null, config, errors) is { } module)
                {
                    modules.Add(module);
                }
            }
            return modules;
        }
        foreach (var (name, objects, line) in ReadKbuild(kbuild, config))
        {
            var files = new List<string>();
            foreach (var obj in objects)
            {
                var c = Path.ChangeExtension(obj, ".c");
                var s = Path.ChangeExtension(obj, ".S");
                if (File.Exists(Path.Combine(path, c))) files.Add(c);
                else if (File.Exists(Path.Combine(path, s))) files.Add(s);
                else errors.Error(kbuild, line, $"{obj}: no {c} or {s} beside the Kbuild file; module {name} read without it");
            }
            if (Build(path, name, files, new Site(kbuild, line), config, errors) is { } module)
            {
                modules.Add(module);
            }
        }
        if (modules.Count == 0)
        {
            errors.Error(kbuild, null, "no obj-m modules in this Kbuild file");
        }
        return modules;
    }

    /// <summary>The module's imports against a kernel: what it declares external itself, what the kernel (or another
    /// input) exports by the name its code uses, and, with the kernel's headers, what their macros and inline
    /// functions turn a name into (macros first, as the preprocessor; an exported name is not looked into further).</summary>
    public static KernelModule Resolve(KernelModule module, Func<string, bool> exported, KernelHeaders? headers, InputErrors errors)
    {
        if (module.SourceReferences is not { } references)
        {
            return module;
        }
        if (headers is not null)
        {
            foreach (var group in module.SourceIncludes.GroupBy(i => i.File))
            {
                headers.Include(group.Key, group.Select(i => (i.Name, i.Quoted)), errors);
            }
        }
        var imports = new List<Import>();
        var reached = new HashSet<string>(StringComparer.Ordinal);
        var followed = new HashSet<string>(StringComparer.Ordinal); // a name's expansion is walked once per module
        foreach (var reference in references)
        {
            if (reference.Declared)
            {
                if (reached.Add(reference.Name)) imports.Add(new Import(reference.Name, reference.Weak) { ReferencedAt = reference.At });
                continue;
            }
            Follow(reference.Name, [], reference, 0);
        }
        return module with { Imports = imports };

        void Follow(string name, List<string> path, SourceReference from, int depth)
        {
            if (depth > 12 || !followed.Add(name))
            {
                return;
            }
            if (headers?.Macro(name) is { } body)
            {
                foreach (var inner in body)
                {
                    // A macro naming itself names the function: the preprocessor does not expand it again
                    // (fortified memcpy passes memcpy on).
                    if (inner == name) Function(name, path, from, depth);
                    else Follow(inner, [.. path, name], from, depth + 1);
                }
            }
            else
            {
                Function(name, path, from, depth);
            }
        }

        void Function(string name, List<string> path, SourceReference from, int depth)
        {
            if (exported(name))
            {
                if (reached.Add(name)) imports.Add(new Import(name) { ReferencedAt = from.At, Via = path.Count == 0 ? null : [.. path, name] });
            }
            else if (headers?.Inline(name) is { } calls)
            {
                foreach (var inner in calls) Follow(inner, [.. path, name], from, depth + 1);
            }
            else if (name.StartsWith("__builtin_", StringComparison.Ordinal) && exported(name["__builtin_".Length..]))
            {
                // The compiler emits a call to the library function it names (fortified memcpy is __builtin_memcpy).
                Function(name["__builtin_".Length..], [.. path, name], from, depth + 1);
            }
        }
    }

    // obj-m / obj-$(CONFIG_X) += NAME.o, and NAME-y / NAME-objs / NAME-$(CONFIG_X) += a.o b.o. Continuation lines joined.
    // Not evaluated: ifeq/ifdef blocks, variables other than CONFIG_ options, subdirectories (obj-m += dir/).
    private static List<(string Name, List<string> Objects, int Line)> ReadKbuild(string kbuild, KernelConfig? config)
    {
        var lines = new List<(string Text, int Line)>();
        var number = 0;
        var pending = new StringBuilder();
        var startLine = 0;
        foreach (var raw in File.ReadLines(kbuild))
        {
            number++;
            if (pending.Length == 0) startLine = number;
            var text = raw.Split('#')[0];
            if (text.EndsWith('\\'))
            {
                pending.Append(text[..^1]).Append(' ');
                continue;
            }
            pending.Append(text);
            lines.Add((pending.ToString(), startLine));
            pending.Clear();
        }
        var modules = new List<(string Name, List<string> Objects, int Line)>();
        var parts = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (text, line) in lines)
        {
            var op = text.IndexOf('=');
            if (op <= 0) continue;
            var target = text[..op].TrimEnd(':', '+', '?', ' ', '\t').Trim();
            // obj-$(CONFIG_X) and NAME-$(CONFIG_X): under the kernel's .config, only what it enables (y or m).
            var option = target.IndexOf("$(CONFIG_", StringComparison.Ordinal) is var at and >= 0 && target.IndexOf(')', at) is var end and > 0 ? target[(at + 2)..end] : null;
            if (option is not null && config is not null && !config.IsBuiltin(option) && !config.IsModule(option))
            {
                continue;
            }
            var values = text[(op + 1)..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Where(v => v.EndsWith(".o", StringComparison.Ordinal)).ToList();
            if (target is "obj-m" || target.StartsWith("obj-$(", StringComparison.Ordinal))
            {
                foreach (var obj in values)
                {
                    var name = Path.GetFileNameWithoutExtension(obj);
                    if (modules.All(m => m.Name != name)) modules.Add((name, [], line));
                }
                continue;
            }
            var dash = target.LastIndexOf('-');
            if (dash > 0 && target[(dash + 1)..] is "y" or "objs" || dash > 0 && target[(dash + 1)..].StartsWith("$(", StringComparison.Ordinal))
            {
                var name = target[..dash];
                if (!parts.TryGetValue(name, out var list)) parts[name] = list = [];
                list.AddRange(values);
            }
        }
        foreach (var (name, objects, _) in modules)
        {
            objects.AddRange(parts.TryGetValue(name, out var list) && list.Count > 0 ? list : [name + ".o"]);
        }
        return modules;
    }

    private static KernelModule? Build(string dir, string name, IReadOnlyList<string> files, Site? readFrom, KernelConfig? config, InputErrors errors)
    {
        var licenses = new List<string>();
        var namespaces = new List<string>();
        var exports = new List<Export>();
        var defined = new HashSet<string>(StringComparer.Ordinal);
        var declared = new Dictionary<string, bool>(StringComparer.Ordinal); // name -> weak
        var used = new List<(string Name, Site At)>();
        var includes = new List<SourceInclude>();
        Site? licenseSite = null;
        var modpostName = Path.Combine(dir, name);
        foreach (var file in files)
        {
            var full = Path.Combine(dir, file);
            try
            {
                using var bytes = FileBytes.Open(full, SourceScanner.MaxFileBytes);
                var data = bytes.Span;
                if (data[..Math.Min(data.Length, 8192)].IndexOf((byte)0) >= 0)
                {
                    errors.Add(new InputError(full, null, data.IndexOf((byte)0), "binary data (a NUL byte), not C source; skipped"));
                    continue;
                }
                var scan = new SourceScanner(errors, new SourceScanOptions { Jobs = 1 }).ScanContent(full, data);
                foreach (var license in scan.Licenses)
                {
                    licenses.AddRange(license.Licenses);
                    namespaces.AddRange(license.ImportNamespaces);
                }
                licenseSite ??= scan.Licenses.Count > 0 ? new Site(full, FirstLine(data, "MODULE_LICENSE"u8)) : null;
                foreach (var e in scan.Exports)
                {
                    exports.Add(new Export(e.Symbol, e.Kind, e.Namespace, modpostName, null, new Site(full, e.Line), new Site(full, e.Line)));
                }
                foreach (var f in FunctionExtractor.Extract(full, data))
                {
                    defined.Add(f.Name);
                }
                if (file.EndsWith(".S", StringComparison.Ordinal))
                {
                    AssemblyDefinitions(data, defined);
                }
                Collect(full, data, config, used, defined, declared, includes);
            }
            catch (InputException e)
            {
                errors.Add(e.Error);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Error(full, null, e.Message);
            }
        }
        if (files.Count == 0)
        {
            return null;
        }
        var references = new List<SourceReference>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (symbol, at) in used)
        {
            if (defined.Contains(symbol) || !seen.Add(symbol))
            {
                continue;
            }
            var isDeclared = declared.TryGetValue(symbol, out var weak);
            references.Add(new SourceReference(symbol, at, isDeclared, weak));
        }
        return new KernelModule
        {
            Name = name,
            Path = files.Count == 1 && readFrom is null ? Path.Combine(dir, files[0]) : dir,
            ModpostName = modpostName,
            Licenses = licenses,
            ImportNamespaces = namespaces.Distinct(StringComparer.Ordinal).ToArray(),
            Exports = exports,
            ReadFrom = readFrom ?? licenseSite ?? new Site(Path.Combine(dir, files[0]), null),
            SourceReferences = references,
            SourceIncludes = includes,
        };
    }

    // The names the code uses (inside braces and #define bodies, not after '.' or '->'), in order, and what the file
    // scope declares: extern declarations and prototypes (external unless defined) and variables it defines.
    private static void Collect(string file, ReadOnlySpan<byte> data, KernelConfig? config, List<(string, Site)> used, HashSet<string> defined,
        Dictionary<string, bool> declared, List<SourceInclude> includes)
    {
        var tokenizer = new CTokenizer(data);
        var depth = 0;
        var statement = new List<(CToken Token, string Text)>();
        var conditions = new ConditionStack(config);
        var inDirective = false;
        var directive = new List<(CToken Token, string Text)>();
        CToken? previous = null;
        while (tokenizer.Next(out var token))
        {
            if (token.Kind == CTokenKind.Directive)
            {
                inDirective = true;
                directive.Clear();
                continue;
            }
            var text = token.Kind == CTokenKind.DirectiveEnd ? "" : Encoding.UTF8.GetString(token.Text(data));
            if (inDirective && token.Kind != CTokenKind.DirectiveEnd)
            {
                directive.Add((token, text));
                continue;
            }
            if (token.Kind == CTokenKind.DirectiveEnd)
            {
                inDirective = false;
                // #if under the kernel's .config (unknown conditions count both ways), as in the headers.
                if (directive.Count == 0 || conditions.Apply(directive[0].Text, directive.Skip(1).Select(d => d.Text).ToArray()) || conditions.Inactive)
                {
                    continue;
                }
                if (directive[0].Text == "include" && directive.Count > 1)
                {
                    if (directive[1].Token.Kind == CTokenKind.String) includes.Add(new SourceInclude(file, directive[1].Text.Trim('"'), true));
                    else if (directive[1].Text == "<") includes.Add(new SourceInclude(file, AngleInclude(data, directive[1].Token), false));
                }
                else if (directive[0].Text == "define")
                {
                    foreach (var (t, name) in directive.Skip(2))
                    {
                        if (t.Kind == CTokenKind.Identifier && !Keywords.Contains(name)) used.Add((name, new Site(file, t.Line)));
                    }
                }
                continue;
            }
            if (conditions.Inactive)
            {
                continue;
            }
            var punct = token.Kind == CTokenKind.Punct ? data[token.Start] : (byte)0;
            if (token.Kind == CTokenKind.Identifier && depth > 0 && !AfterMember(data, previous) && !Keywords.Contains(text))
            {
                used.Add((text, new Site(file, token.Line)));
            }
            if (depth == 0)
            {
                if (punct == ';')
                {
                    // File scope uses names too: module_i2c_driver(x); a control defined as SOC_DAPM_ENUM(...).
                    var declaredName = Declare(statement, defined, declared);
                    for (var i = 0; i < statement.Count; i++)
                    {
                        var (t, name) = statement[i];
                        if (t.Kind == CTokenKind.Identifier && name != declaredName && !Keywords.Contains(name) && !AfterMember(data, i > 0 ? statement[i - 1].Token : null))
                        {
                            used.Add((name, new Site(file, t.Line)));
                        }
                    }
                    statement.Clear();
                }
                else if (punct == '{')
                {
                    if (!statement.Any(s => s.Text == "=") && statement.Count > 0 && statement.Any(s => s.Text == "("))
                    {
                        statement.Clear(); // a function body: FunctionExtractor names the function
                    }
                    else
                    {
                        statement.Add((token, text));
                    }
                    depth++;
                }
                else
                {
                    statement.Add((token, text));
                }
            }
            else if (punct == '{')
            {
                depth++;
            }
            else if (punct == '}')
            {
                depth--;
            }
            previous = token;
        }
    }

    // #include <linux/module.h>: the text between the brackets.
    private static string AngleInclude(ReadOnlySpan<byte> data, CToken open)
    {
        var rest = data[(open.Start + 1)..];
        var close = rest.IndexOfAny((byte)'>', (byte)'\n');
        return Encoding.ASCII.GetString(close < 0 ? rest : rest[..close]).Trim();
    }

    // An assembly file's functions: SYM_FUNC_START(name) and its kin, ENTRY(name), and "name:" labels.
    private static void AssemblyDefinitions(ReadOnlySpan<byte> data, HashSet<string> defined)
    {
        var tokenizer = new CTokenizer(data);
        CToken? before = null, previous = null;
        while (tokenizer.Next(out var token))
        {
            if (token.Kind == CTokenKind.Identifier && previous is { Kind: CTokenKind.Punct } open && data[open.Start] == '('
                && before is { Kind: CTokenKind.Identifier } macro && (macro.Text(data).StartsWith("SYM_"u8) || macro.Text(data).SequenceEqual("ENTRY"u8)))
            {
                defined.Add(Encoding.ASCII.GetString(token.Text(data)));
            }
            else if (token.Kind == CTokenKind.Punct && data[token.Start] == ':' && previous is { Kind: CTokenKind.Identifier } label)
            {
                defined.Add(Encoding.ASCII.GetString(label.Text(data)));
            }
            before = previous;
            previous = token;
        }
    }

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "auto", "bool", "_Bool", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
        "float", "for", "goto", "if", "inline", "__inline", "__inline__", "int", "long", "register", "restrict", "return", "short",
        "signed", "sizeof", "static", "struct", "switch", "typedef", "typeof", "__typeof__", "union", "unsigned", "void", "volatile",
        "while", "asm", "__asm__", "__volatile__", "__attribute__", "__attribute", "defined",
    };

    private static bool AfterMember(ReadOnlySpan<byte> data, CToken? previous) =>
        previous is { Kind: CTokenKind.Punct } p && (data[p.Start] == '.' || data[p.Start] == '>' && p.Start > 0 && data[p.Start - 1] == '-');

    // A file-scope statement: typedefs declare types; "extern" or a prototype (a type before NAME(...)) declares an
    // external name; NAME(...) with no type is a macro invocation (module_init(x), static DEFINE_MUTEX(m)); anything
    // else defines the variable it names. Returns the name declared or defined.
    private static string? Declare(List<(CToken Token, string Text)> statement, HashSet<string> defined, Dictionary<string, bool> declared)
    {
        if (statement.Count == 0 || statement.Any(s => s.Text == "typedef"))
        {
            return null;
        }
        var weak = statement.Any(s => s.Text is "weak" or "__weak");
        var isExtern = statement.Any(s => s.Text == "extern");
        // The declared name: the identifier before the first '(' '[' '=' ',' or ';' outside attributes.
        string? name = null;
        var typed = false; // a type (or attribute macro) came before the name
        var call = false;
        for (var i = 0; i < statement.Count; i++)
        {
            var t = statement[i].Text;
            if (t is "__attribute__" or "__attribute")
            {
                i = SkipParens(statement, i + 1);
                continue;
            }
            if (t is "(" or "[" or "=" or ",")
            {
                call = t == "(";
                break;
            }
            if (statement[i].Token.Kind == CTokenKind.Identifier)
            {
                if (name is not null && !StorageClasses.Contains(name)) typed = true;
                name = t;
            }
        }
        if (name is null || Keywords.Contains(name))
        {
            return null;
        }
        if (call && !typed && !isExtern)
        {
            return null; // a macro invocation: every name in it is a use
        }
        if (isExtern || call)
        {
            declared.TryAdd(name, weak);
            if (weak) declared[name] = true;
        }
        else
        {
            defined.Add(name);
        }
        return name;
    }

    private static readonly HashSet<string> StorageClasses = new(StringComparer.Ordinal) { "static", "extern", "const", "volatile", "inline", "__inline", "__inline__", "register" };

    private static int SkipParens(List<(CToken Token, string Text)> statement, int open)
    {
        var depth = 0;
        for (var i = open; i < statement.Count; i++)
        {
            if (statement[i].Text == "(") depth++;
            else if (statement[i].Text == ")" && --depth == 0) return i;
        }
        return statement.Count;
    }

    private static int? FirstLine(ReadOnlySpan<byte> data, ReadOnlySpan<byte> marker)
    {
        var at = data.IndexOf(marker);
        return at < 0 ? null : data[..at].Count((byte)'\n') + 1;
    }
}
