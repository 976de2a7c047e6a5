using ExportAudit.Cli;

return ExportAuditCommand.Run(args, Console.Out, Console.Error, stderrIsTerminal: !Console.IsErrorRedirected);
