using System.Reflection;
using DmVoice.Gateway.Auth;
using DmVoice.Gateway.Hosting;
using DmVoice.Grains.Hosting;
using DmVoice.Grains.LiveKit;
using DmVoice.LiveKit;
using Microsoft.Extensions.Configuration;

namespace DmVoice.Gateway.Tests.Deploy;

/// <summary>
/// What the silo and gateway read from configuration, found by reflection on their options classes,
/// so that a renamed or removed property makes every deploy file that still sets it fail the tests.
/// </summary>
public static class SettingsCatalog
{
    /// <summary>Sections and the options classes bound from them (LiveKit feeds two).</summary>
    public static readonly IReadOnlyDictionary<string, Type[]> Sections = new Dictionary<string, Type[]>(StringComparer.OrdinalIgnoreCase)
    {
        [DmVoiceClusterOptions.SectionName] = [typeof(DmVoiceClusterOptions)],
        [DmVoiceClusterOptions.MembershipSectionName] = [typeof(Orleans.Configuration.ClusterMembershipOptions)],
        [SiloManagementOptions.SectionName] = [typeof(SiloManagementOptions)],
        [CallOptions.SectionName] = [typeof(CallOptions)],
        [ChannelOptions.SectionName] = [typeof(ChannelOptions)],
        [GatewayOptions.SectionName] = [typeof(GatewayOptions)],
        [AuthOptions.SectionName] = [typeof(AuthOptions)],
        [LiveKitOptions.SectionName] = [typeof(LiveKitOptions), typeof(LiveKitSyncOptions)],
        [DmVoice.Grains.Push.PushOptions.SectionName] = [typeof(DmVoice.Grains.Push.PushOptions)],
    };

    /// <summary>Connection strings the processes ask for (<c>GetConnectionString</c>).</summary>
    public static readonly IReadOnlySet<string> ConnectionStrings = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "Redis" };

    /// <summary>Variables read by the platform or a library rather than by a DmVoice options class, and who reads them.</summary>
    public static readonly IReadOnlyDictionary<string, string> HostVariables = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["ASPNETCORE_ENVIRONMENT"] = "ASP.NET Core: Development, Production",
        ["DOTNET_ENVIRONMENT"] = ".NET host: Development, Production",
        ["ASPNETCORE_HTTP_PORTS"] = "ASP.NET Core: cleared in the images so only Urls or Silo__ManagementUrls apply",
        ["Urls"] = "ASP.NET Core: where the gateway listens",
        ["POD_IP"] = "the silo's advertised address in a pod (SiloAddressing), and Orleans' Kubernetes hosting",
        ["POD_NAME"] = "Orleans' Kubernetes hosting: the silo's name",
        ["POD_NAMESPACE"] = "Orleans' Kubernetes hosting: where the silo's pods are",
        ["DOTNET_gcServer"] = ".NET runtime: 0 = workstation GC (see DeployRuntime)",
    };

    /// <summary>Why an environment variable does not reach a setting, or null when it does (and its value converts).</summary>
    public static string? Problem(string variable, string value)
    {
        if (HostVariables.ContainsKey(variable))
        {
            return null;
        }

        if (!variable.Contains("__", StringComparison.Ordinal))
        {
            return "is neither a Section__Key setting nor a variable the platform reads";
        }

        var key = variable.Replace("__", ":", StringComparison.Ordinal);
        var separator = key.LastIndexOf(':');
        var (section, property) = (key[..separator], key[(separator + 1)..]);
        if (string.Equals(section, "ConnectionStrings", StringComparison.OrdinalIgnoreCase))
        {
            return ConnectionStrings.Contains(property) ? null : $"names connection string '{property}', which nothing reads";
        }

        if (section.StartsWith("Logging:LogLevel", StringComparison.OrdinalIgnoreCase))
        {
            return Enum.TryParse<Microsoft.Extensions.Logging.LogLevel>(value, ignoreCase: true, out _) ? null : $"'{value}' is not a log level";
        }

        if (!Sections.TryGetValue(section, out var types))
        {
            return $"section '{section}' is read by no options class ({string.Join(", ", Sections.Keys)})";
        }

        var owners = types.Where(t => t.GetProperty(property, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)?.CanWrite == true).ToArray();
        if (owners.Length == 0)
        {
            return $"{string.Join(" / ", types.Select(t => t.Name))} has no settable property '{property}'";
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new(key, value)]).Build();
        try
        {
            configuration.GetSection(section).Get(owners[0], o => o.ErrorOnUnknownConfiguration = true);
            return null;
        }
        catch (InvalidOperationException ex)
        {
            return $"'{value}' does not bind to {owners[0].Name}.{property}: {ex.Message}";
        }
    }

    /// <summary>A process's configuration as it would see its environment (Section__Key becomes Section:Key).</summary>
    public static IConfiguration Configuration(IReadOnlyDictionary<string, string> environment) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(environment.Select(kv => new KeyValuePair<string, string?>(kv.Key.Replace("__", ":", StringComparison.Ordinal), kv.Value)))
            .Build();
}
