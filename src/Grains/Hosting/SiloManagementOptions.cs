using Microsoft.Extensions.Options;

namespace DmVoice.Grains.Hosting;

/// <summary>
/// The silo process's management port, bound from the "Silo" section: health probes, Prometheus
/// metrics and the optional Orleans dashboard. Only the silo host (src/Silo) serves it; a gateway that
/// co-hosts its silo has its own /health and /metrics.
/// </summary>
public sealed class SiloManagementOptions
{
    public const string SectionName = "Silo";

    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";
    public const string MetricsPath = "/metrics";
    public const string DashboardPath = "/dashboard";

    /// <summary>Redis mode: every interface, so probes and scrapers on other hosts reach it.</summary>
    public const string RedisModeDefaultUrls = "http://0.0.0.0:8081";

    /// <summary>
    /// Localhost mode: loopback, on a port the system picks (logged at start), so any number of
    /// development silos on one machine never collide.
    /// </summary>
    public const string LocalhostModeDefaultUrls = "http://127.0.0.1:0";

    /// <summary>Where the management endpoints listen, ';'-separated like ASP.NET Core's Urls. Unset: by mode.</summary>
    public string? ManagementUrls { get; set; }

    /// <summary>Serve the Orleans dashboard at /dashboard on the management port (no authentication: keep the port internal).</summary>
    public bool Dashboard { get; set; }

    /// <summary>The URLs to listen on: the setting, else the default of the cluster mode.</summary>
    public IReadOnlyList<string> EffectiveUrls(DmVoiceClusterOptions cluster) =>
        (string.IsNullOrWhiteSpace(ManagementUrls)
            ? cluster.UsesRedis ? RedisModeDefaultUrls : LocalhostModeDefaultUrls
            : ManagementUrls)
        .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public IReadOnlyList<string> GetValidationErrors()
    {
        var errors = new List<string>();
        if (ManagementUrls is null)
        {
            return errors;
        }

        var urls = ManagementUrls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (urls.Length == 0)
        {
            errors.Add("Silo:ManagementUrls must list at least one URL (e.g. http://0.0.0.0:8081), or be left unset.");
        }

        foreach (var url in urls)
        {
            // Kestrel's wildcard hosts (* and +) are not valid URI hosts; any address stands in for them here.
            var checkable = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
            if (!Uri.TryCreate(checkable, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                || uri.AbsolutePath != "/")
            {
                errors.Add($"Silo:ManagementUrls entry '{url}' must be an http(s) URL with a host and port and no path, e.g. http://0.0.0.0:8081.");
            }
        }

        return errors;
    }
}

/// <summary>Refuses to start with management URLs Kestrel could not bind.</summary>
public sealed class SiloManagementOptionsValidator : IValidateOptions<SiloManagementOptions>
{
    public ValidateOptionsResult Validate(string? name, SiloManagementOptions options)
    {
        var errors = options.GetValidationErrors();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
