using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;
using ExportAudit.Checks;
using ExportAudit.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ExportAudit.CustomRules;

/// <summary>The rules a rules directory yielded, and whether the compiled assembly came from the cache.</summary>
public sealed record CompiledRules(IReadOnlyList<IModuleRule> ModuleRules, IReadOnlyList<IImportRule> ImportRules, bool FromCache)
{
    public static CompiledRules None { get; } = new([], [], false);

    public IEnumerable<RuleDescriptor> Descriptors => ModuleRules.Select(r => r.Descriptor).Concat(ImportRules.Select(r => r.Descriptor));
}

/// <summary>
/// Compiles the *.cs files of a rules directory — classes implementing <see cref="IModuleRule"/> or
/// <see cref="IImportRule"/>, the API the built-in checks use — into an in-memory assembly with Roslyn, and
/// caches it on disk under the hash of the sources, the compiler and ExportAudit's own assembly, so a second
/// run pays no compile cost. Compile errors are input errors with file:line. This runs code: the CLI calls it
/// only for a directory the user named (see README, "Trust").
/// </summary>
public static class RuleCompiler
{
    public static CompiledRules Load(string directory, string cacheDirectory, InputErrors errors)
    {
        var files = Directory.Exists(directory)
            ? Directory.GetFiles(directory, "*.cs").Select(p => p.Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray()
            : throw new InputException(directory, null, "rules directory not found");
        if (files.Length == 0)
        {
            return CompiledRules.None;
        }
        var sources = files.Select(f => (Path: f, Text: File.ReadAllText(f))).ToArray();
        var key = Key(sources);
        var cached = Path.Combine(cacheDirectory, key + ".dll");
        Assembly assembly;
        var fromCache = File.Exists(cached);
        if (fromCache)
        {
            assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.GetFullPath(cached));
        }
        else
        {
            var image = Compile(sources, key, errors);
            if (image is null)
            {
                return CompiledRules.None;
            }
            Directory.CreateDirectory(cacheDirectory);
            // A name of this write's own: two threads of one process (a library caller, the test suite's parallel
            // CLI runs) compiling the same rules wrote one "<pid>.tmp" together, and one could load the other's half.
            var temp = cached + "." + Environment.ProcessId + "." + Path.GetRandomFileName() + ".tmp";
            File.WriteAllBytes(temp, image);
            File.Move(temp, cached, overwrite: true);
            assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.GetFullPath(cached));
        }
        return Instantiate(assembly, directory, errors) with { FromCache = fromCache };
    }

    private static string Key(IEnumerable<(string Path, string Text)> sources)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(typeof(IModuleRule).Assembly.ManifestModule.ModuleVersionId.ToByteArray());
        hash.AppendData(Encoding.UTF8.GetBytes(typeof(CSharpCompilation).Assembly.GetName().Version?.ToString() ?? ""));
        foreach (var (path, text) in sources)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(path) + "\0" + text + "\0"));
        }
        return "rules-" + Convert.ToHexStringLower(hash.GetHashAndReset())[..32];
    }

    private static byte[]? Compile(IReadOnlyList<(string Path, string Text)> sources, string name, InputErrors errors)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, parse, s.Path, Encoding.UTF8)).ToList();
        trees.Add(CSharpSyntaxTree.ParseText(
            "global using System; global using System.Collections.Generic; global using System.Linq; " +
            "global using ExportAudit.Checks; global using ExportAudit.Diagnostics; global using ExportAudit.Model;", parse));
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.Ordinal))
            .Select(p => MetadataReference.CreateFromFile(p))
            .ToList();
        if (!references.Any(r => r.Display?.EndsWith(Path.GetFileName(typeof(IModuleRule).Assembly.Location), StringComparison.Ordinal) == true))
        {
            references.Add(MetadataReference.CreateFromFile(typeof(IModuleRule).Assembly.Location));
        }
        var compilation = CSharpCompilation.Create(name, trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release,
                nullableContextOptions: NullableContextOptions.Enable, deterministic: true));
        using var image = new MemoryStream();
        var emit = compilation.Emit(image);
        var failed = false;
        foreach (var diagnostic in emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).OrderBy(d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal).ThenBy(d => d.Location.SourceSpan.Start))
        {
            var span = diagnostic.Location.GetLineSpan();
            errors.Add(new InputError(span.Path is { Length: > 0 } p ? p : "rules", span.IsValid ? span.StartLinePosition.Line + 1 : null, null,
                $"error {diagnostic.Id}: {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}"));
            failed = true;
        }
        return failed || !emit.Success ? null : image.ToArray();
    }

    private static CompiledRules Instantiate(Assembly assembly, string directory, InputErrors errors)
    {
        var moduleRules = new List<IModuleRule>();
        var importRules = new List<IImportRule>();
        var ids = new HashSet<string>(Rules.All.Select(r => r.Id), StringComparer.Ordinal);
        foreach (var type in assembly.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false, IsPublic: true }).OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            var isModule = typeof(IModuleRule).IsAssignableFrom(type);
            var isImport = typeof(IImportRule).IsAssignableFrom(type);
            if (!isModule && !isImport)
            {
                continue;
            }
            if (type.GetConstructor(Type.EmptyTypes) is null)
            {
                errors.Error(directory, null, $"custom rule {type.FullName} needs a public parameterless constructor");
                continue;
            }
            var instance = Activator.CreateInstance(type)!;
            var descriptor = isModule ? ((IModuleRule)instance).Descriptor : ((IImportRule)instance).Descriptor;
            if (descriptor.Id.StartsWith("EA", StringComparison.Ordinal) || !ids.Add(descriptor.Id))
            {
                errors.Error(directory, null, $"custom rule {type.FullName}: ID '{descriptor.Id}' is {(descriptor.Id.StartsWith("EA", StringComparison.Ordinal) ? "reserved (EA* IDs are ExportAudit's)" : "used twice")}");
                continue;
            }
            if (isModule)
            {
                moduleRules.Add((IModuleRule)instance);
            }
            if (isImport)
            {
                importRules.Add((IImportRule)instance);
            }
        }
        return new CompiledRules(moduleRules, importRules, false);
    }
}
