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
