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
        : Directory.Exists(path) && (Directory.EnumerateFiles(path, "*.c").Any() || KbuildFile(path) is not null);

    // The Kbuild file of a module directory: Kbuild, else a Makefile that names obj- targets.
    private static string? KbuildFile(string dir) =>
        new[] { "Kbuild", "Makefile" }.Select(n => Path.Combine(dir, n)).FirstOrDefault(f => File.Exists(f) && File.ReadAllText(f).Contains("obj-", StringComparison.Ordinal));

    /// <param name="config">The kernel's .config, for the #if of the module's files; null: every branch counts but #if 0.</param>
    public static IReadOnlyList<KernelModule> Read(string path, KernelConfig? config, InputErrors errors)
    {
        path = Path.GetFullPath(path).TrimEnd('/');
        if (File.Exists(path))
        {
            var dir = Path.GetDirectoryName(path)!;
            var name = Path.GetFileNameWithoutExtension(path);
            return Build(dir, name, [Path.GetFileName(path)], null, config, null, errors) is { } single ? [single] : [];
        }
        var kbuild = KbuildFile(path);
        var modules = new List<KernelModule>();
        if (kbuild is null)
        {
            // No Kbuild: each .c file is a module of its own, as "obj-m += NAME.o" for each would make it.
            foreach (var file in Directory.EnumerateFiles(path, "*.c").Order(StringComparer.Ordinal))
            {
                if (Build(path, Path.GetFileNameWithoutExtension(file), [Path.GetFileName(file)], null, config, null, errors) is { } module)
                {
                    modules.Add(module);
                }
            }
            return modules;
        }
        // One scan of the directory: wrappers its headers define (IWL_EXPORT_SYMBOL) are known where they are used.
        var directoryScan = new SourceScanner(errors, new SourceScanOptions { Jobs = 1, Config = config }).Scan(path);
        var kbuildText = File.ReadAllText(kbuild);
        var kbuildLines = kbuildText.Split('\n');
        foreach (var (name, objects) in KbuildOwners.ModulesOf(kbuild, config, config is null ? "x86" : KbuildOwners.ArchOf(config)))
        {
            // The line that names the module, for messages (the evaluation itself does not keep lines).
            var index = Array.FindIndex(kbuildLines, l => l.Contains(name + ".o", StringComparison.Ordinal));
            int? line = index < 0 ? null : index + 1;
            var files = new List<string>();
            foreach (var obj in objects)
            {
                var c = Path.ChangeExtension(obj, ".c");
                var s = Path.ChangeExtension(obj, ".S");
                if (File.Exists(Path.Combine(path, c))) files.Add(c);
                else if (File.Exists(Path.Combine(path, s))) files.Add(s);
                else if (new[] { "", ".y", ".l", ".pl" }.Select(g => Path.Combine(path, Path.ChangeExtension(obj, null) + g))
                             .FirstOrDefault(g => File.Exists(g) && Path.GetExtension(g) is ".asn1" or ".y" or ".l" or ".pl") is { } generator)
                {
                    // Made by the build (asn1_compiler, bison, flex, perlasm): there is no source to read yet.
                    errors.Warning(kbuild, line, $"{obj}: generated from {Path.GetFileName(generator)} at build time; module {name} read without it");
                }
                else if (System.Text.RegularExpressions.Regex.IsMatch(kbuildText, $@"(^|[\s/]){System.Text.RegularExpressions.Regex.Escape(Path.GetFileName(c))}\b"))
                {
                    // Named by the Kbuild file itself (a rule's target, targets +=, clean-files): made at build time.
                    errors.Warning(kbuild, line, $"{obj}: {c} is made by a rule of the Kbuild file at build time; module {name} read without it");
                }
                else errors.Error(kbuild, line, $"{obj}: no {c} or {s} beside the Kbuild file; module {name} read without it");
            }
            if (Build(path, name, files, new Site(kbuild, line), config, directoryScan, errors, complete: files.Count == objects.Count) is { } module)
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
        // What the module exports it defines (an EXPORT_SYMBOL of a macro-made variable is still its own).
        var reached = module.Exports.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
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

    // directoryScan: the module directory's scan (its headers' #define wrappers known); null: each file on its own.
    // complete: every object's source was read; else a name the module declares may be defined in what was not
    // (a generated .S), and is undefined only when nobody exports it... which cannot be known: it is not reported.
    private static KernelModule? Build(string dir, string name, IReadOnlyList<string> files, Site? readFrom, KernelConfig? config, SourceScan? directoryScan,
        InputErrors errors, bool complete = true)
    {
        var licenses = new List<string>();
        var namespaces = new List<string>();
        var exports = new List<Export>();
        var defined = new HashSet<string>(StringComparer.Ordinal);
        var declared = new Dictionary<string, bool>(StringComparer.Ordinal); // name -> weak
        var used = new List<(string Name, Site At, bool FromMacro)>();
        var includes = new List<SourceInclude>();
        var assemblyNames = new HashSet<string>(StringComparer.Ordinal);
        Site? licenseSite = null;
        var modpostName = Path.Combine(dir, name);
        var queue = new Queue<string>(files);
        var taken = new HashSet<string>(files, StringComparer.Ordinal);
        while (queue.TryDequeue(out var file))
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
                // Objects outside the directory (arch/x86/kvm's ../../../virt/kvm/kvm_main.o) are not in its scan.
                var scan = directoryScan is not null && !file.StartsWith("../", StringComparison.Ordinal)
                    ? new SourceScan(full, directoryScan.Exports.Where(e => e.File == file).Select(e => e with { File = full }).ToArray(),
                        directoryScan.Licenses.Where(l => l.File == file).ToArray(), 1, 1)
                    : new SourceScanner(errors, new SourceScanOptions { Jobs = 1, Config = config }).ScanContent(full, data);
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
                if (file.EndsWith(".S", StringComparison.Ordinal))
                {
                    Assembly(data, defined, assemblyNames);
                }
                var includesBefore = includes.Count;
                Collect(full, data, config, file.EndsWith(".S", StringComparison.Ordinal), used, defined, declared, includes);
                // #include "other.c" (sound/pci/ens1371.c includes ens1370.c): that file is part of the module too.
                foreach (var include in includes.Skip(includesBefore).Where(i => i.Quoted && i.Name.EndsWith(".c", StringComparison.Ordinal)))
                {
                    var included = Path.GetRelativePath(dir, Path.Combine(Path.GetDirectoryName(full)!, include.Name)).Replace('\\', '/');
                    if (File.Exists(Path.Combine(dir, included)) && taken.Add(included)) queue.Enqueue(included);
                }
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
        // A local header the module includes can say MODULE_IMPORT_NS / MODULE_LICENSE for it (drivers/iio/adc/ltc2497.h).
        if (directoryScan is not null)
        {
            var headers = includes.Where(i => i.Quoted && i.Name.EndsWith(".h", StringComparison.Ordinal))
                .Select(i => Path.GetRelativePath(dir, Path.Combine(Path.GetDirectoryName(i.File)!, i.Name)).Replace('\\', '/'))
                .ToHashSet(StringComparer.Ordinal);
            foreach (var license in directoryScan.Licenses.Where(l => headers.Contains(l.File)))
            {
                licenses.AddRange(license.Licenses);
                namespaces.AddRange(license.ImportNamespaces);
            }
        }
        // MODULE_LICENSE(DRIVER_LICENSE) with #define DRIVER_LICENSE "GPL" in the module's own files (mpi3mr).
        if (licenses.Count == 0 && LicenseMacro(dir, files.Concat(includes.Where(i => i.Quoted).Select(i => Path.GetRelativePath(dir, Path.Combine(Path.GetDirectoryName(i.File)!, i.Name)))).Distinct()) is { } fromMacro)
        {
            licenses.Add(fromMacro.License);
            licenseSite ??= fromMacro.At;
        }
        var references = new List<SourceReference>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // A name the module declares itself is undefined only when code uses it: a macro body that names it may be a
        // branch the compiler drops (mlx4's "default: __buggy_use_of_MLX4_GET()" under a switch on sizeof).
        var inCode = used.Where(u => !u.FromMacro).Select(u => u.Name).ToHashSet(StringComparer.Ordinal);
        // Assembly defines functions in ways a C reader does not see (gas .macro: SHA1_VECTOR_ASM sha1_transform_ssse3):
        // a name the C declares and the module's .S files mention is taken as theirs, not as undefined.
        foreach (var (symbol, at, _) in used)
        {
            if (defined.Contains(symbol) || !seen.Add(symbol))
            {
                continue;
            }
            var isDeclared = complete && declared.ContainsKey(symbol) && inCode.Contains(symbol) && !assemblyNames.Contains(symbol);
            var weak = declared.GetValueOrDefault(symbol);
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
    // assembly: a .S file has no C declarations; every name it uses (call foo) counts, and only an export can be one.
    private static void Collect(string file, ReadOnlySpan<byte> data, KernelConfig? config, bool assembly, List<(string, Site, bool FromMacro)> used, HashSet<string> defined,
        Dictionary<string, bool> declared, List<SourceInclude> includes)
    {
        var tokenizer = new CTokenizer(data);
        var depth = 0;
        var statement = new List<(CToken Token, string Text)>();
        var conditions = new ConditionStack(config);
        var branches = new BranchDepth();
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
                if (directive.Count == 0)
                {
                    continue;
                }
                switch (directive[0].Text)
                {
                    case "if" or "ifdef" or "ifndef": branches.If(depth); break;
                    case "else" or "elif" or "elifdef" or "elifndef": branches.Else(ref depth); break;
                    case "endif": branches.Endif(ref depth); break;
                }
                // #if under the kernel's .config (unknown conditions count both ways), as in the headers.
                if (conditions.Apply(directive[0].Text, directive.Skip(1).Select(d => d.Text).ToArray()) || conditions.Inactive)
                {
                    continue;
                }
                if (directive[0].Text == "include" && directive.Count > 1 && IncludeTarget(data, directive[1].Token) is { } target)
                {
                    includes.Add(new SourceInclude(file, target.Name, target.Quoted));
                }
                else if (directive[0].Text is "define" or "undef" && directive.Count > 1)
                {
                    conditions.Local(directive[1].Text, directive[0].Text == "define");
                }
                if (directive[0].Text == "define")
                {
                    foreach (var (t, name) in directive.Skip(2))
                    {
                        if (t.Kind == CTokenKind.Identifier && !Keywords.Contains(name)) used.Add((name, new Site(file, t.Line), true));
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
                used.Add((text, new Site(file, token.Line), false));
            }
            if (assembly)
            {
                if (token.Kind == CTokenKind.Identifier && depth == 0 && !Keywords.Contains(text)) used.Add((text, new Site(file, token.Line), true));
            }
            else if (depth == 0)
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
                            used.Add((name, new Site(file, t.Line), false));
                        }
                    }
                    statement.Clear();
                }
                else if (punct == '{')
                {
                    if (!statement.Any(s => s.Text == "=") && statement.Count > 0 && statement.Any(s => s.Text == "("))
                    {
                        // A function body: the extractor's rule names the function (one tokenization, not two).
                        if (FunctionExtractor.FunctionName(data, statement.Select(s => s.Token).ToList(), out _, out _) is { } function)
                        {
                            defined.Add(function);
                        }
                        statement.Clear();
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

    // MODULE_LICENSE(NAME) where a file of the module says #define NAME "...": the string modpost would read.
    private static (string License, Site At)? LicenseMacro(string dir, IEnumerable<string> files)
    {
        var texts = files.Select(f => Path.Combine(dir, f)).Where(File.Exists).Select(f => (File: f, Text: File.ReadAllText(f))).ToArray();
        foreach (var (file, text) in texts)
        {
            var use = System.Text.RegularExpressions.Regex.Match(text, @"MODULE_LICENSE\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)");
            if (!use.Success) continue;
            foreach (var (_, other) in texts)
            {
                var define = System.Text.RegularExpressions.Regex.Match(other, $@"#\s*define\s+{use.Groups[1].Value}\s+""([^""]*)""");
                if (define.Success) return (define.Groups[1].Value, new Site(file, text[..use.Index].Count(c => c == '\n') + 1));
            }
        }
        return null;
    }

    /// <summary>A file's #include lines, in order, every branch of its #if counted: (name, quoted).</summary>
    internal static List<(string Name, bool Quoted)> Includes(ReadOnlySpan<byte> data)
    {
        var includes = new List<(string, bool)>();
        var tokenizer = new CTokenizer(data);
        var position = -1; // the token's place in the directive: 0 the keyword, 1 the name
        var isInclude = false;
        while (tokenizer.Next(out var token))
        {
            if (token.Kind == CTokenKind.Directive) { position = 0; isInclude = false; continue; }
            if (token.Kind == CTokenKind.DirectiveEnd) { position = -1; continue; }
            if (position == 0) isInclude = token.Text(data).SequenceEqual("include"u8);
            else if (position == 1 && isInclude && IncludeTarget(data, token) is { } target)
            {
                includes.Add(target);
            }
            if (position >= 0) position++;
        }
        return includes;
    }

    // What an #include names, from the token after the keyword: "x.h" (quoted) or <linux/module.h>; null for neither
    // (a macro naming the header).
    private static (string Name, bool Quoted)? IncludeTarget(ReadOnlySpan<byte> data, CToken token) =>
        token.Kind == CTokenKind.String ? (Encoding.UTF8.GetString(token.Text(data)).Trim('"'), true)
        : data[token.Start] == '<' ? (AngleInclude(data, token), false)
        : null;

    // #include <linux/module.h>: the text between the brackets.
    private static string AngleInclude(ReadOnlySpan<byte> data, CToken open)
    {
        var rest = data[(open.Start + 1)..];
        var close = rest.IndexOfAny((byte)'>', (byte)'\n');
        return Encoding.ASCII.GetString(close < 0 ? rest : rest[..close]).Trim();
    }

    // An assembly file's functions (SYM_FUNC_START(name) and its kin, ENTRY(name), "name:" labels) and every name it
    // mentions.
    private static void Assembly(ReadOnlySpan<byte> data, HashSet<string> defined, HashSet<string> mentioned)
    {
        var tokenizer = new CTokenizer(data);
        CToken? before = null, previous = null;
        while (tokenizer.Next(out var token))
        {
            if (token.Kind == CTokenKind.Identifier)
            {
                var name = Encoding.ASCII.GetString(token.Text(data));
                mentioned.Add(name);
                if (previous is { Kind: CTokenKind.Punct } open && data[open.Start] == '('
                    && before is { Kind: CTokenKind.Identifier } macro && (macro.Text(data).StartsWith("SYM_"u8) || macro.Text(data).SequenceEqual("ENTRY"u8)))
                {
                    defined.Add(name);
                }
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
        var brace = statement.FindIndex(s => s.Text == "{");
        if (brace >= 0 && !statement.Take(brace).Any(s => s.Text == "="))
        {
            // struct/union/enum { ... } NAME; defines NAME; "} __aligned(8);" and the like declare nothing.
            var after = statement.FindLastIndex(s => s.Text == "{");
            var defines = statement.Skip(after + 1).TakeWhile(s => s.Text is not ("(" or "=" or "[" or ",")).LastOrDefault(s => s.Token.Kind == CTokenKind.Identifier).Text;
            if (defines is not null && !statement.Skip(after + 1).Any(s => s.Text == "(")) defined.Add(defines);
            return defines;
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
        if (call && (!typed || IsMacroName(name)) && !isExtern)
        {
            // A macro invocation: every name in it is a use, but DEFINE_SPINLOCK(x), EXPORT_*_PM_OPS(x, ...) and
            // their kin make the first name they are given (kernel style: macros are upper case).
            if (IsMacroName(name) && FirstArgument(statement) is { } made)
            {
                defined.Add(made);
            }
            return null;
        }
        if (statement.Any(s => s.Text == "static"))
        {
            defined.Add(name); // internal linkage: defined in this file or a header it includes, never imported
            return name;
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

    private static bool IsMacroName(string name) => name.Any(char.IsAsciiLetterUpper) && name.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c == '_');

    // The first identifier inside the statement's first parentheses (not a keyword).
    private static string? FirstArgument(List<(CToken Token, string Text)> statement)
    {
        var open = statement.FindIndex(s => s.Text == "(");
        for (var i = open + 1; open >= 0 && i < statement.Count && statement[i].Text is not ("," or ")"); i++)
        {
            if (statement[i].Token.Kind == CTokenKind.Identifier && !Keywords.Contains(statement[i].Text)) return statement[i].Text;
        }
        return null;
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
