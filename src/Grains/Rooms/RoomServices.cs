using DmVoice.Grains.Events;
using DmVoice.Grains.Hosting;
using DmVoice.Grains.LiveKit;
using DmVoice.Grains.Push;
using DmVoice.LiveKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DmVoice.Grains.Rooms;

/// <summary>
/// What every room grain is built from, resolved once per silo: the call clock and options, the delivery
/// mode, metrics, co-hosted gateways, push, and LiveKit's RoomService when LiveKit is configured (null
/// otherwise: no command is owed and no sweep runs).
/// </summary>
public sealed class RoomServices(
    CallClock clock,
    IOptions<CallOptions> options,
    IOptions<DmVoiceClusterOptions> cluster,
    CallMetrics metrics,
    LocalGateways localGateways,
    IPushNotifier push,
    IOptions<LiveKitSyncOptions> liveKitSync,
    IServiceProvider services,
    ILoggerFactory loggers,
    IHostApplicationLifetime lifetime)
{
    public CallClock Clock { get; } = clock;

    public CallOptions Options { get; } = options.Value;

    public DmVoiceClusterOptions Cluster { get; } = cluster.Value;

    public CallMetrics Metrics { get; } = metrics;

    public LocalGateways LocalGateways { get; } = localGateways;

    public IPushNotifier Push { get; } = push;

    public LiveKitSyncOptions LiveKitSync { get; } = liveKitSync.Value;

    /// <summary>Null without LiveKit.</summary>
    public ILiveKitRoomService? LiveKitRooms { get; } =
        services.GetService<LiveKitConfigured>() is null ? null : services.GetRequiredService<ILiveKitRoomService>();

    public ILoggerFactory Loggers { get; } = loggers;

    /// <summary>Cancelled once this silo begins to stop.</summary>
    public CancellationToken SiloStopping { get; } = lifetime.ApplicationStopping;

    /// <summary>Real time, LiveKit's clock domain (not the call clock, which tests may drive).</summary>
    public static DateTimeOffset RealNow() => TimeProvider.System.GetUtcNow();
}
