using DmVoice.Gateway.Hosting;
using DmVoice.Gateway.Observability;
using DmVoice.Gateway.Problems;
using DmVoice.Grains.Hosting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DmVoice.Gateway.Realtime;

internal static partial class RealtimeSetup
{
    /// <summary>
    /// The SignalR hub and everything behind it: the connection registry and outboxes, event delivery
    /// in the cluster's mode (the gateway's observer, or per-user streams), and the gateway's lease.
    /// </summary>
    public static WebApplicationBuilder AddDmVoiceRealtime(this WebApplicationBuilder builder, GatewayOptions gateway)
    {
        var services = builder.Services;
        var cluster = DmVoiceClusterOptions.From(builder.Configuration);
        services.AddSignalR(o =>
        {
            o.MaximumReceiveMessageSize = gateway.MaxRequestBodyBytes;
            o.EnableDetailedErrors = builder.Environment.IsDevelopment();
            o.AddFilter<HubRequestFilter>();
            o.AddFilter<VoiceHubFilter>();
        });
        services.AddSingleton<HubLifetimeManager<VoiceHub>, VoiceHubLifetimeManager>();
        services.AddSingleton<IUserIdProvider, SubjectUserIdProvider>();

        services.AddSingleton<GatewayInstance>();
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<GatewayEventReceiver>();
        services.AddSingleton<GatewayLease>();
        services.AddHostedService(sp => sp.GetRequiredService<GatewayLease>());
        services.AddSingleton<GatewayShutdown>();
        services.AddHostedService(sp => sp.GetRequiredService<GatewayShutdown>());
        services.AddSingleton<VoiceOverviewQuery>();
        services.AddSingleton<DevicePresence>();
        services.AddSingleton<StatusQuery>();
        if (cluster.UsesStreams)
        {
            services.AddSingleton<IUserEventSource, StreamEventSource>();
            services.AddSingleton<SubscriptionAudit>();
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>());

        // The cluster client collects its observers while it is being constructed, and the registry
        // needs the client (for streams): resolving the registry there deadlocks the start of a gateway
        // that is a plain cluster client. Resolve it on first notice.
        services.AddSingleton<IClusterConnectionStatusObserver>(sp => new DeferredConnectionObserver(sp));
        return builder;
    }

    /// <summary>
    /// A stopping gateway takes no new hub connection: from the moment it is asked to stop, the hub's
    /// negotiate and WebSocket requests are answered 503 <c>temporarily_unavailable</c> before anything is
    /// upgraded, so a client that reconnects while a load balancer still sends it here fails fast and
    /// tries again (through the balancer, another gateway) instead of being taken and then cut.
    /// </summary>
    public static WebApplication UseHubShutdownGate(this WebApplication app)
    {
        var shutdown = app.Services.GetRequiredService<GatewayShutdown>();
        var metrics = app.Services.GetRequiredService<GatewayMetrics>();
        // Not async: a pass-through returns the next's task, so a hub connection's request (open for the
        // connection's life) does not keep a state machine of this middleware.
        app.Use((http, next) =>
        {
            if (shutdown.IsStopping && http.Request.Path.StartsWithSegments(VoiceHub.Path))
            {
                metrics.Unavailable("connect");
                return Problem.WriteAsync(http, ErrorCodes.TemporarilyUnavailable, "This gateway is shutting down; connect again.", TimeSpan.FromSeconds(1));
            }

            return next(http);
        });
        return app;
    }

    /// <summary>
    /// When the gateway regains the cluster: renews the lease at once (the cluster may have forgotten
    /// this gateway) and re-subscribes per-user streams (streams mode). When it loses a silo (streams
    /// mode): checks for subscriptions the cluster dropped meanwhile (<see cref="SubscriptionAudit"/>).
    /// </summary>
    private sealed partial class DeferredConnectionObserver(IServiceProvider services) : IClusterConnectionStatusObserver
    {
        public void NotifyClusterConnectionLost() =>
            LogClusterLost(services.GetRequiredService<ILogger<ConnectionRegistry>>());

        public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
        {
            if (currentNumberOfGateways < previousNumberOfGateways)
            {
                services.GetService<SubscriptionAudit>()?.SiloLost();
            }

            if (!connectionRecovered)
            {
                return;
            }

            services.GetRequiredService<GatewayLease>().RenewNow();
            var registry = services.GetRequiredService<ConnectionRegistry>();
            var logger = services.GetRequiredService<ILogger<ConnectionRegistry>>();
            _ = Task.Run(async () =>
            {
                try
                {
                    await registry.ResubscribeAllAsync();
                }
                catch (Exception ex)
                {
                    LogResubscribeFailed(logger, ex);
                }
            });
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the connection to the cluster; events pause until it returns")]
        private static partial void LogClusterLost(ILogger logger);

        [LoggerMessage(Level = LogLevel.Error, Message = "Re-subscribing user event streams failed")]
        private static partial void LogResubscribeFailed(ILogger logger, Exception exception);
    }
}
