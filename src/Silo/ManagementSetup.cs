using DmVoice.Grains.Infrastructure;
using DmVoice.Grains.LiveKit;
using DmVoice.Grains.Push;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Orleans.Dashboard;

namespace DmVoice.Silo;

internal static class ManagementSetup
{
    /// <summary>Meter of Orleans' own instruments (activations, messaging, storage latency and errors, membership).</summary>
    public const string OrleansMeterName = "Microsoft.Orleans";

    /// <summary>.NET's runtime instruments (GC, heap, CPU, thread pool), built into the runtime since .NET 9.</summary>
    public const string RuntimeMeterName = "System.Runtime";

    /// <summary>Kestrel on <c>Silo:ManagementUrls</c>, the readiness check and the Prometheus exporter.</summary>
    public static WebApplicationBuilder AddSiloManagement(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(SiloManagementOptions.SectionName);
        builder.Services.AddOptions<SiloManagementOptions>().Bind(section).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SiloManagementOptions>, SiloManagementOptionsValidator>());

        var management = section.Get<SiloManagementOptions>() ?? new();
        builder.WebHost.UseUrls([.. management.EffectiveUrls(DmVoiceClusterOptions.From(builder.Configuration))]);

        builder.Services.AddHealthChecks().AddCheck<SiloActiveHealthCheck>("silo-active", tags: ["ready"]);
        builder.Services.AddSingleton<SiloStatusMetrics>();
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("dmvoice-silo"))
            .WithMetrics(metrics => metrics.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));

        // As in the gateway: this host's own meters only (MeterScope.Local), never another host's of the same
        // name in the process. Orleans', the runtime's and LiveKit's commands are taken from this host's
        // factory or process-wide, wherever they were made (Orleans makes its meter through the container).
        foreach (var local in new[] { CallMetrics.MeterName, GrainCallMetrics.MeterName, PushMetrics.MeterName, PresenceMetrics.MeterName, SiloStatusMetrics.MeterName })
        {
            builder.Metrics.EnableMetrics(local, instrumentName: null, listenerName: "OpenTelemetry", scopes: MeterScope.Local);
        }

        foreach (var global in new[] { OrleansMeterName, RuntimeMeterName, MediaCommandMetrics.MeterName })
        {
            builder.Metrics.EnableMetrics(global, instrumentName: null, listenerName: "OpenTelemetry", scopes: MeterScope.Global | MeterScope.Local);
        }

        return builder;
    }

    public static WebApplication MapSiloManagement(this WebApplication app)
    {
        app.MapHealthChecks(SiloManagementOptions.LivePath, new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks(SiloManagementOptions.ReadyPath, new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        app.MapPrometheusScrapingEndpoint(SiloManagementOptions.MetricsPath);

        // Gauges and the zeros of watched counters exist from the start, not from the first grain that needs
        // their owner; recorded once the exporter listens.
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            app.Services.GetRequiredService<SiloStatusMetrics>();
            app.Services.GetRequiredService<PresenceMetrics>().Prime();
            app.Services.GetRequiredService<CallMetrics>().Prime();
            app.Services.GetService<PushMetrics>()?.Prime();
            MediaCommandMetrics.Prime();
        });
        if (app.Services.GetRequiredService<IOptions<SiloManagementOptions>>().Value.Dashboard)
        {
            app.MapOrleansDashboard(routePrefix: SiloManagementOptions.DashboardPath);
        }

        app.Lifetime.ApplicationStarted.Register(() => LogStarted(app));
        return app;
    }

    /// <summary>One line with everything an operator checks first: who this silo is and where to reach it.</summary>
    private static void LogStarted(WebApplication app)
    {
        var silo = app.Services.GetRequiredService<ILocalSiloDetails>();
        var addressing = app.Services.GetService<SiloAddressing>();
        var urls = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        app.Logger.LogInformation(
            "Silo {SiloName} is {SiloAddress}; {Addressing}; management endpoints on {ManagementUrls}",
            silo.Name,
            silo.SiloAddress,
            addressing?.ToString() ?? "localhost clustering on loopback",
            string.Join(", ", urls));
    }
}
