using System.Reflection;

namespace DmVoice.TestSupport.Processes;

/// <summary>
/// The built <c>DmVoice.Silo.dll</c> and <c>DmVoice.Gateway.dll</c>. TestSupport references both
/// projects without referencing their assemblies, so building any test project builds them first, and
/// its build records where they landed (AssemblyMetadata "DmVoiceBuiltApp:&lt;name&gt;"), whatever the
/// configuration or output layout.
/// </summary>
public static class BuiltApps
{
    public static string Silo => PathOf("DmVoice.Silo");

    public static string Gateway => PathOf("DmVoice.Gateway");

    public static string PathOf(string assemblyName)
    {
        var key = "DmVoiceBuiltApp:" + assemblyName;
        var path = typeof(BuiltApps).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == key)?.Value
            ?? throw new InvalidOperationException($"DmVoice.TestSupport was built without a path for {assemblyName}; see its .csproj (RecordBuiltAppPaths).");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{assemblyName} is not built at {path}; build the solution (dotnet build DmVoice.sln).", path);
    }
}

/// <summary>
/// Which <c>DmVoice.Silo.dll</c> and <c>DmVoice.Gateway.dll</c> a process harness runs: the built ones
/// (<see cref="Built"/>, what the tests run) or, for instance, the benchmark's ReadyToRun publish of them,
/// which is what the deploy files' images run.
/// </summary>
public sealed record DmVoiceApps(string Silo, string Gateway, string Description)
{
    public static DmVoiceApps Built => new(BuiltApps.Silo, BuiltApps.Gateway, "built (JIT-compiled)");

    public string PathOf(DmVoiceApp app) => app == DmVoiceApp.Silo ? Silo : Gateway;
}
