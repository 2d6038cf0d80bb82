using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

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

    /// <summary>
    /// Orleans' failure detection (<c>ClusterMembershipOptions</c>: ProbeTimeout, NumMissedProbesLimit, …),
    /// bound from this sub-section of "Cluster" on silos.
    /// </summary>
    public const string MembershipSectionName = SectionName + ":Membership";

    /// <summary>"Localhost" (the embedded default: one silo, in-memory state) or "Redis".</summary>
    public string Mode { get; set; } = LocalhostClustering;

    public string ClusterId { get; set; } = "dmvoice";

    public string ServiceId { get; set; } = "dmvoice";

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port gateways (Orleans clients) connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// The address this silo gives other silos and gateways (Redis mode). Unset: <c>POD_IP</c> when a
    /// container platform provides it, else the host's first non-loopback IPv4 address, else loopback.
    /// See <see cref="SiloAddressing"/>.
    /// </summary>
    public string? AdvertisedIPAddress { get; set; }

    /// <summary>
    /// Redis mode: listen on every interface (the default), or only on the advertised address, which
    /// lets several silos share ports on one machine under different addresses.
    /// </summary>
    public bool ListenOnAnyAddress { get; set; } = true;

    /// <summary>
    /// Orleans' Kubernetes hosting (pod name as silo name, pod address, pods and silos kept in step).
    /// Unset: on when the process runs in a Kubernetes pod (<c>KUBERNETES_SERVICE_HOST</c> is set).
    /// Redis mode only.
    /// </summary>
    public bool? Kubernetes { get; set; }

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

    /// <summary>
    /// How long a silo keeps messages for a gateway (an Orleans client) whose connection broke before it
    /// gives the gateway up and fails them. Orleans' own default is a minute, checked once a minute, so
    /// a killed gateway held calls to it for up to two: a stream's pulling agent waiting on such a call
    /// stopped delivering the other users' events of its queue meanwhile (docs/RELIABILITY.md). A
    /// gateway that reconnects later is served again; its users re-register as after any lost silo.
    /// </summary>
    public TimeSpan ClientDropTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often a gateway (an Orleans client) re-reads which silos it can send to (Redis mode). Orleans'
    /// default is a minute, and it is also how long a silo address that broke its connection stays
    /// shunned: a silo restarted at the same address and port (systemd, compose) went unused for up to a
    /// minute, so stopping the next silo in that time left gateways only the stopping one, and requests
    /// failed with 503 (deploy/README.md, "Stopping and rolling restarts"). A silo that just became ready
    /// is used within two periods. The cost is one read of the membership table per period per gateway.
    /// </summary>
    public TimeSpan GatewayListRefreshPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How silos write grain state: <see cref="BinaryStateFormat"/> (the default; see
    /// <see cref="Infrastructure.GrainStateSerializer"/>) or <see cref="JsonStateFormat"/>, Orleans' JSON
    /// as earlier releases wrote it. Silos read both whatever this says. <c>Json</c> is for a rolling
    /// upgrade from a release that only reads JSON: run the new silos with it until no old silo is left,
    /// then switch to <c>Binary</c>.
    /// </summary>
    public string StateFormat { get; set; } = BinaryStateFormat;

    public const string BinaryStateFormat = "Binary";
    public const string JsonStateFormat = "Json";

    public bool WritesJsonState => string.Equals(StateFormat, JsonStateFormat, StringComparison.OrdinalIgnoreCase);

    /// <summary>The "Cluster" section, or the defaults (the embedded mode) when it is absent.</summary>
    public static DmVoiceClusterOptions From(IConfiguration configuration)
    {
        var options = configuration.GetSection(SectionName).Get<DmVoiceClusterOptions>() ?? new();
        options.ThrowIfInvalid();
        return options;
    }

    public bool UsesRedis => string.Equals(Mode, RedisClustering, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a silo uses Orleans' Kubernetes hosting: the setting, else whether it runs in a pod.</summary>
    public bool UsesKubernetesHosting(Func<string, string?> environment) =>
        UsesRedis && (Kubernetes ?? !string.IsNullOrEmpty(environment("KUBERNETES_SERVICE_HOST")));

    /// <summary>Every problem with these settings, in words an operator can act on (empty when valid).</summary>
    public IReadOnlyList<string> GetValidationErrors()
    {
        var errors = new List<string>();
        if (!UsesRedis && !string.Equals(Mode, LocalhostClustering, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"Cluster:Mode '{Mode}' is not known; use '{LocalhostClustering}' or '{RedisClustering}'.");
        }

        if (string.IsNullOrWhiteSpace(ClusterId))
        {
            errors.Add("Cluster:ClusterId must not be empty.");
        }

        if (string.IsNullOrWhiteSpace(ServiceId))
        {
            errors.Add("Cluster:ServiceId must not be empty.");
        }

        if (SiloPort is < 1 or > 65535)
        {
            errors.Add($"Cluster:SiloPort must be 1-65535 (is {SiloPort}).");
        }

        if (GatewayPort is < 1 or > 65535)
        {
            errors.Add($"Cluster:GatewayPort must be 1-65535 (is {GatewayPort}).");
        }

        if (SiloPort == GatewayPort)
        {
            errors.Add($"Cluster:SiloPort and Cluster:GatewayPort must differ (both are {SiloPort}).");
        }

        if (AdvertisedIPAddress is { Length: > 0 } text && !SiloAddressing.TryParseAddress(text, out _))
        {
            errors.Add($"Cluster:AdvertisedIPAddress '{text}' is not an IP address other silos can reach (e.g. 10.0.0.12 or fd00::12).");
        }

        if (Kubernetes == true && !UsesRedis)
        {
            errors.Add("Cluster:Kubernetes=true needs Cluster:Mode=Redis (a Kubernetes cluster of silos keeps its membership in Redis).");
        }

        if (StreamPollingPeriod <= TimeSpan.Zero)
        {
            errors.Add("Cluster:StreamPollingPeriod must be positive.");
        }

        if (StreamCacheRetention <= TimeSpan.Zero)
        {
            errors.Add("Cluster:StreamCacheRetention must be positive.");
        }

        if (StreamQueueCount is < 1 or > 1024)
        {
            errors.Add("Cluster:StreamQueueCount must be 1-1024.");
        }

        if (!UsesStreams && !string.Equals(EventDelivery, DirectDelivery, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"Cluster:EventDelivery must be '{DirectDelivery}' or '{StreamsDelivery}', not '{EventDelivery}'.");
        }

        if (ClientDropTimeout < TimeSpan.FromSeconds(1) || ClientDropTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add("Cluster:ClientDropTimeout must be 1 second to 10 minutes.");
        }

        if (GatewayListRefreshPeriod < TimeSpan.FromSeconds(1) || GatewayListRefreshPeriod > TimeSpan.FromMinutes(1))
        {
            errors.Add("Cluster:GatewayListRefreshPeriod must be 1 second to 1 minute.");
        }

        if (!WritesJsonState && !string.Equals(StateFormat, BinaryStateFormat, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"Cluster:StateFormat must be '{BinaryStateFormat}' or '{JsonStateFormat}', not '{StateFormat}'.");
        }

        return errors;
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> naming every wrong setting.</summary>
    public void ThrowIfInvalid()
    {
        var errors = GetValidationErrors();
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(SectionName, typeof(DmVoiceClusterOptions), errors);
        }
    }
}

/// <summary>Refuses to start with cluster settings that cannot work.</summary>
public sealed class DmVoiceClusterOptionsValidator : IValidateOptions<DmVoiceClusterOptions>
{
    public ValidateOptionsResult Validate(string? name, DmVoiceClusterOptions options)
    {
        var errors = options.GetValidationErrors();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
