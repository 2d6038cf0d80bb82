using Microsoft.Extensions.Configuration;

namespace DmVoice.Grains.Hosting;

/// <summary>
/// How a process finds the cluster and keeps state, bound from the "Cluster" section. (Not the
/// "Orleans" section: Orleans reads that one itself and expects provider sub-sections there.)
/// </summary>
public sealed class DmVoiceClusterOptions
{
    public const string SectionName = "Cluster";
    public const string LocalhostClustering = "Localhost";
    public const string RedisClustering = "Redis";

    /// <summary>"Localhost" (the embedded default: one silo, in-memory state) or "Redis".</summary>
    public string Mode { get; set; } = LocalhostClustering;

    public string ClusterId { get; set; } = "dmvoice";

    public string ServiceId { get; set; } = "dmvoice";

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port gateways (Orleans clients) connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// How often memory-stream pulling agents poll their queues. Orleans' 100 ms default would put up
    /// to 100 ms on every event; see docs/BENCHMARKS.md for the measurements behind this value.
    /// </summary>
    public TimeSpan StreamPollingPeriod { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// How long delivered events stay in the stream cache. Nobody rewinds DmVoice's streams, so
    /// Orleans' default (5 minutes) only makes the cache, and the heap the GC walks, grow with
    /// traffic; a consumer that falls further behind than this re-fetches state anyway.
    /// </summary>
    public TimeSpan StreamCacheRetention { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Memory-stream queues; events of one user always go through the same queue, in order.</summary>
    public int StreamQueueCount { get; set; } = 8;

    /// <summary>
    /// How events reach gateways: <see cref="DirectDelivery"/> (the default) pushes each event once per
    /// gateway through grain observers; <see cref="StreamsDelivery"/> publishes it on each recipient's
    /// Orleans stream. Every silo and gateway of a cluster must use the same mode.
    /// </summary>
    public string EventDelivery { get; set; } = DirectDelivery;

    public const string DirectDelivery = "Direct";
    public const string StreamsDelivery = "Streams";

    public bool UsesStreams => string.Equals(EventDelivery, StreamsDelivery, StringComparison.OrdinalIgnoreCase);

    /// <summary>The "Cluster" section, or the defaults (the embedded mode) when it is absent.</summary>
    public static DmVoiceClusterOptions From(IConfiguration configuration)
    {
        var options = configuration.GetSection(SectionName).Get<DmVoiceClusterOptions>() ?? new();
        options.Validate();
        return options;
    }

    public bool UsesRedis => string.Equals(Mode, RedisClustering, StringComparison.OrdinalIgnoreCase);

    /// <summary>Refuses settings that would start a process unable to join or serve the cluster.</summary>
    public void Validate()
    {
        var failures = new List<string>();
        if (!UsesRedis && !string.Equals(Mode, LocalhostClustering, StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"Cluster:Mode must be '{LocalhostClustering}' or '{RedisClustering}', not '{Mode}'.");
        }

        if (!UsesStreams && !string.Equals(EventDelivery, DirectDelivery, StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"Cluster:EventDelivery must be '{DirectDelivery}' or '{StreamsDelivery}', not '{EventDelivery}'.");
        }

        if (failures.Count > 0)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(SectionName, typeof(DmVoiceClusterOptions), failures);
        }
    }
}
