namespace ExportAudit.Model;

/// <summary>An undefined symbol of a module, in symbol-table order.</summary>
/// <param name="ArchRegister">A SPARC register declaration (STT_SPARC_REGISTER): undefined in the symbol table, but
/// neither modpost nor the loader resolves it.</param>
public sealed record Import(string Name, bool Weak = false, bool ArchRegister = false)
{
    /// <summary>Where a module given as source first uses the name; null for binaries and manifests.</summary>
    public Site? ReferencedAt { get; init; }

    /// <summary>For a module given as source, the header macros and inline functions that led from the name its code
    /// uses to this one (rcu_read_lock, __rcu_read_lock); null when the code names it itself.</summary>
    public IReadOnlyList<string>? Via { get; init; }
}

/// <summary>An #include of a module given as source: the file it is in and the name between quotes or brackets.</summary>
public sealed record SourceInclude(string File, string Name, bool Quoted);

/// <summary>A name a module's source uses, where first, and whether the module declares it external itself.</summary>
/// <param name="Declared">An extern declaration or a prototype in the module's own files that nothing there defines:
/// the object will have it undefined whether or not the kernel exports it.</param>
public sealed record SourceReference(string Name, Site At, bool Declared, bool Weak);

/// <summary>What a module's __versions section says, when it is known.</summary>
public enum VersionsState
{
    /// <summary>The input did not say (a manifest without <c>versions</c>): CRC checks are skipped.</summary>
    Unknown,
    /// <summary>The module has no __versions section at all (modprobe --force territory).</summary>
    NoSection,
    /// <summary>The module has a __versions section; <see cref="KernelModule.Versions"/> holds it.</summary>
    Present,
}

/// <summary>
/// A loadable module as modpost and the loader see it. <see cref="ModpostName"/> is the name modpost prints
/// in <c>[PATH.ko]</c>: the object path less its suffix (the modules.order entry less ".o").
/// </summary>
public sealed record KernelModule
{
    public required string Name { get; init; }
    public required string Path { get; init; }
    public required string ModpostName { get; init; }
    public IReadOnlyList<string> Licenses { get; init; } = [];
    public IReadOnlyList<string> ImportNamespaces { get; init; } = [];
    public IReadOnlyList<Import> Imports { get; init; } = [];
    public IReadOnlyList<Export> Exports { get; init; } = [];
    public IReadOnlyList<string> Depends { get; init; } = [];
    public VersionsState VersionsState { get; init; } = VersionsState.Unknown;
    /// <summary>__versions entries in section order (name → CRC the module was built against).</summary>
    public IReadOnlyList<KeyValuePair<string, uint>> Versions { get; init; } = [];
    /// <summary>modinfo intree=Y; null when the input did not say.</summary>
    public bool? InTree { get; init; }
    /// <summary>Whether the module carries a signature; null when unknown.</summary>
    public bool? Signed { get; init; }
    public string? Vermagic { get; init; }
    /// <summary>ELF e_machine of a binary (0 for manifests): some undefined names are ignored per architecture.</summary>
    public ushort Machine { get; init; }
    /// <summary>Every .modinfo key=value of a binary, in order (empty for manifests).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Modinfo { get; init; } = [];
    /// <summary>Where the module's description was read (manifest file and line, or the binary).</summary>
    public required Site ReadFrom { get; init; }
    /// <summary>A module given as source: the names its code uses, in order. <see cref="Imports"/> is empty until
    /// they are resolved against the kernel (Ingest.Source.ModuleSourceReader.Resolve); null for binaries and manifests.</summary>
    public IReadOnlyList<SourceReference>? SourceReferences { get; init; }
    /// <summary>A module given as source: its files' #includes, to read the kernel headers they reach.</summary>
    public IReadOnlyList<SourceInclude> SourceIncludes { get; init; } = [];
    /// <summary>Position among the inputs: modules.order or command-line order. Ties in load order use it.</summary>
    public int InputIndex { get; init; }

    /// <summary>The last path component of <see cref="ModpostName"/>, as modpost's basename.</summary>
    public string ModpostBaseName => ModuleNames.BaseName(ModpostName);

    public bool TryGetVersion(string symbol, out uint crc)
    {
        foreach (var entry in Versions)
        {
            if (entry.Key == symbol)
            {
                crc = entry.Value;
                return true;
            }
        }
        crc = 0;
        return false;
    }
}
