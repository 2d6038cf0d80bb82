using DmVoice.Gateway.Problems;

namespace DmVoice.Gateway.Hosting;

/// <summary>
/// The gateway's management port: Prometheus metrics, and the health probes again, on their own listener
/// (<c>Gateway:ManagementUrls</c>) so that the public API port never serves <c>/metrics</c> to anyone who asks.
/// Kestrel listens on the public URLs and on these; a request is told apart by the local port it came in on,
/// which a client cannot choose the way it chooses a Host header. The management port serves nothing else.
/// </summary>
public sealed class GatewayManagement
{
    public const string MetricsPath = "/metrics";
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";

    /// <summary>The port OpenTelemetry's Prometheus exporters conventionally use.</summary>
    public const int DefaultPort = 9464;

    /// <summary>Redis mode (a deployment): every interface, so a scraper on another host reaches it.</summary>
    public const string RedisModeDefaultUrls = "http://0.0.0.0:9464";

    /// <summary>Localhost mode (development): loopback only.</summary>
    public const string LocalhostModeDefaultUrls = "http://127.0.0.1:9464";

    private GatewayManagement(IReadOnlyList<string> urls, IReadOnlySet<int> ports)
    {
        Urls = urls;
        Ports = ports;
    }

    /// <summary>Where the management endpoints listen.</summary>
    public IReadOnlyList<string> Urls { get; }

    /// <summary>The local ports of those listeners.</summary>
    public IReadOnlySet<int> Ports { get; }

    /// <summary>
    /// Reads <c>Gateway:ManagementUrls</c> (';'-separated; unset: by cluster mode) and checks it against the
    /// public URLs. Throws with a message naming the setting when the two could not be told apart.
    /// </summary>
    public static GatewayManagement From(string? managementUrls, bool usesRedis, IReadOnlyList<string> publicUrls)
    {
        var urls = (string.IsNullOrWhiteSpace(managementUrls) ? usesRedis ? RedisModeDefaultUrls : LocalhostModeDefaultUrls : managementUrls)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (urls.Length == 0)
        {
            throw new InvalidOperationException("Gateway:ManagementUrls must list at least one URL (e.g. http://0.0.0.0:9464), or be left unset.");
        }

        var publicPorts = publicUrls.Select(PortOf).Where(p => p is not null).ToHashSet();
        var ports = new HashSet<int>();
        foreach (var url in urls)
        {
            var port = PortOf(url);
            if (port is null or 0)
            {
                throw new InvalidOperationException(
                    $"Gateway:ManagementUrls entry '{url}' must be an http(s) URL with a host, a fixed port (not 0) and no path, e.g. http://0.0.0.0:9464.");
            }

            if (publicPorts.Contains(port))
            {
                throw new InvalidOperationException(
                    $"Gateway:ManagementUrls entry '{url}' uses port {port}, which the public URLs use too: give the management endpoints a port of their own.");
            }

            ports.Add(port.Value);
        }

        return new GatewayManagement(urls, ports);
    }

    /// <summary>The URLs the gateway's public endpoints listen on, as ASP.NET Core would pick them.</summary>
    public static IReadOnlyList<string> PublicUrls(IConfiguration configuration)
    {
        var urls = configuration["urls"];
        if (!string.IsNullOrWhiteSpace(urls))
        {
            return urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        var httpPorts = configuration["http_ports"];
        return string.IsNullOrWhiteSpace(httpPorts)
            ? ["http://localhost:5000"]
            : [.. httpPorts.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => $"http://*:{p}")];
    }

    /// <summary>Whether a request came in on the management listener.</summary>
    public bool IsManagementRequest(HttpContext http) => Ports.Contains(http.Connection.LocalPort);

    /// <summary>
    /// On the management port only metrics and probes answer; on the public port metrics do not. Either way
    /// the others get the same 404 as an unknown route.
    /// </summary>
    public Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        var path = http.Request.Path;
        var isManagementPath = path.Equals(MetricsPath, StringComparison.OrdinalIgnoreCase);
        var isProbe = path.Equals(LivePath, StringComparison.OrdinalIgnoreCase) || path.Equals(ReadyPath, StringComparison.OrdinalIgnoreCase);
        var allowed = IsManagementRequest(http) ? isManagementPath || isProbe : !isManagementPath;
        return allowed
            ? next(http)
            : Problem.WriteAsync(http, ErrorCodes.NotFound, $"No endpoint {http.Request.Method} {path}.");
    }

    private static int? PortOf(string url)
    {
        // Kestrel's wildcard hosts (* and +) are not valid URI hosts; any address stands in for them here.
        var checkable = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
        if (!Uri.TryCreate(checkable, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.AbsolutePath != "/")
        {
            return null;
        }

        // Uri fills in the scheme's default port when none is written; Kestrel does the same.
        return uri.Port;
    }
}
