namespace DmVoice.Gateway.Hosting;

/// <summary>Gateway behaviour, bound from the "Gateway" section.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>
    /// Run a silo inside the gateway process (the embedded default). Only with localhost clustering;
    /// in Redis mode gateways are always plain cluster clients.
    /// </summary>
    public bool CoHostSilo { get; set; } = true;

    /// <summary>
    /// Where the gateway serves Prometheus metrics (and its health probes again), ';'-separated like
    /// <c>Urls</c>; never on the public port. Unset: <see cref="GatewayManagement.RedisModeDefaultUrls"/> in
    /// Redis mode, <see cref="GatewayManagement.LocalhostModeDefaultUrls"/> in Localhost mode.
    /// </summary>
    public string? ManagementUrls { get; set; }

    /// <summary>Largest accepted request body.</summary>
    public long MaxRequestBodyBytes { get; set; } = 16 * 1024;

    /// <summary>Requests per user (or per address when anonymous) per minute.</summary>
    public int RequestsPerMinute { get; set; } = 600;

    /// <summary>
    /// The built web client to serve at <c>/</c>. Unset: <c>clients/web/dist</c> of the source tree
    /// the gateway runs from, when it has been built.
    /// </summary>
    public string? WebClientPath { get; set; }

    /// <summary>
    /// How long the cluster waits for this gateway's next lease renewal before it counts the gateway as
    /// gone and every device on it as closed (each user's disconnect grace then starts).
    /// </summary>
    public TimeSpan LeaseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the lease is renewed; at most half of <see cref="LeaseTimeout"/>.</summary>
    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Events a connection may fall behind before it is closed (<c>event_backlog</c>) so its client re-syncs.</summary>
    public int ConnectionQueueLimit { get; set; } = 256;

    /// <summary>
    /// How long a read that is safe to repeat (every GET, the hub's <c>sync</c>) may keep being retried
    /// after a transient fault (a silo failing over, storage unreachable) before the client is answered
    /// 503. Covers a brief outage without the client noticing, but keeps a user from waiting long for an
    /// answer. Zero turns the retries off. Writes are never retried here.
    /// </summary>
    public TimeSpan ReadRetryBudget { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>What a 503 <c>temporarily_unavailable</c> tells the client to wait before trying again (<c>Retry-After</c>).</summary>
    public TimeSpan UnavailableRetryAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Open hub connections one user may have on this gateway; a further one closes their oldest
    /// (<c>connection_limit</c>, without reconnecting).
    /// </summary>
    public int MaxConnectionsPerUser { get; set; } = 10;

    /// <summary>
    /// How long a stopping gateway (SIGTERM) waits for requests in flight and for its connections to
    /// close before it exits anyway. Keep it below the platform's grace period (Kubernetes'
    /// terminationGracePeriodSeconds, systemd's TimeoutStopSec: 30 s in deploy/), which ends in SIGKILL.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>Refuses to start with gateway settings outside their documented ranges.</summary>
public sealed class GatewayOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<GatewayOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var failures = new List<string>();
        if (options.MaxRequestBodyBytes is < 1024 or > 1024 * 1024)
        {
            failures.Add("Gateway:MaxRequestBodyBytes must be 1024-1048576.");
        }

        if (options.RequestsPerMinute < 1)
        {
            failures.Add("Gateway:RequestsPerMinute must be at least 1.");
        }

        if (options.LeaseTimeout < TimeSpan.FromSeconds(3) || options.LeaseTimeout > TimeSpan.FromMinutes(10))
        {
            failures.Add("Gateway:LeaseTimeout must be 3-600 seconds.");
        }

        if (options.LeaseRenewInterval < TimeSpan.FromMilliseconds(500) || options.LeaseRenewInterval * 2 > options.LeaseTimeout)
        {
            failures.Add("Gateway:LeaseRenewInterval must be at least 0.5 seconds and at most half of Gateway:LeaseTimeout.");
        }

        if (options.ConnectionQueueLimit is < 8 or > 100_000)
        {
            failures.Add("Gateway:ConnectionQueueLimit must be 8-100000.");
        }

        if (options.ReadRetryBudget < TimeSpan.Zero || options.ReadRetryBudget > TimeSpan.FromSeconds(10))
        {
            failures.Add("Gateway:ReadRetryBudget must be 0-10 seconds.");
        }

        if (options.UnavailableRetryAfter < TimeSpan.FromSeconds(1) || options.UnavailableRetryAfter > TimeSpan.FromMinutes(1))
        {
            failures.Add("Gateway:UnavailableRetryAfter must be 1-60 seconds.");
        }

        if (options.MaxConnectionsPerUser is < 1 or > 1000)
        {
            failures.Add("Gateway:MaxConnectionsPerUser must be 1-1000.");
        }

        if (options.ShutdownTimeout < TimeSpan.FromSeconds(1) || options.ShutdownTimeout > TimeSpan.FromMinutes(5))
        {
            failures.Add("Gateway:ShutdownTimeout must be 1-300 seconds.");
        }

        return failures.Count == 0
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Success
            : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(failures);
    }
}
