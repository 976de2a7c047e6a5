namespace ExportAudit.Model;

/// <summary>A module built into vmlinux (modules.builtin, modules.builtin.modinfo): always "loaded", its exports are vmlinux's.</summary>
public sealed record BuiltinModule(string Name, IReadOnlyList<string> Licenses);
