using Microsoft.Extensions.Diagnostics.Metrics;

namespace DmVoice.Gateway.Observability;

/// <summary>
/// Which meters a gateway exports, and from where. The exporter is subscribed through the host's own
/// metrics rules rather than by meter name alone: a name matches every meter of that name in the process,
/// so one host's exporter would also take the instruments of every other host that shares the process (the
/// test suites start dozens). Those streams never give their room back when their host goes, so a long-lived
/// host's exporter ran out of room for metric streams (1000) and dropped its own instruments created after
/// that, down to a /metrics of nothing but <c>target_info</c>. Meters made by this host's
/// <see cref="System.Diagnostics.Metrics.IMeterFactory"/> are taken with <see cref="MeterScope.Local"/> only;
/// the few meters that exist once per process (Orleans' own) are taken globally.
/// </summary>
internal static class HostMeters
{
    /// <summary>The name OpenTelemetry's metrics listener registers under.</summary>
    public const string OpenTelemetryListener = "OpenTelemetry";

    /// <summary>Meters created by the host's meter factory: ours and ASP.NET Core's (the latter are what the ASP.NET Core instrumentation adds).</summary>
    public static readonly string[] Local =
    [
        GatewayMetrics.MeterName,
        Grains.Infrastructure.CallMetrics.MeterName,
        Grains.Infrastructure.GrainCallMetrics.MeterName,
        Grains.Push.PushMetrics.MeterName,
        Grains.Infrastructure.PresenceMetrics.MeterName,
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Http.Connections",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "Microsoft.AspNetCore.RateLimiting",
    ];

    /// <summary>Meters that exist once per process, taken from this host's factory or process-wide, wherever they were made.</summary>
    public static readonly string[] Process = ["Microsoft.Orleans", Grains.LiveKit.MediaCommandMetrics.MeterName];

    public static IMetricsBuilder EnableDmVoiceMeters(this IMetricsBuilder metrics)
    {
        foreach (var name in Local)
        {
            metrics.EnableMetrics(name, instrumentName: null, listenerName: OpenTelemetryListener, scopes: MeterScope.Local);
        }

        foreach (var name in Process)
        {
            metrics.EnableMetrics(name, instrumentName: null, listenerName: OpenTelemetryListener, scopes: MeterScope.Global | MeterScope.Local);
        }

        return metrics;
    }
}
