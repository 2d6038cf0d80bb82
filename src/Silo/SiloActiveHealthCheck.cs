using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DmVoice.Silo;

/// <summary>
/// Ready while this silo is Active in the cluster's membership and the process has finished starting:
/// not while it joins (Orleans marks it Active a moment before its last start-up stage, the stream
/// agents, has run), and not from the moment it is asked to stop or the others declare it dead.
/// </summary>
internal sealed class SiloActiveHealthCheck(
    IClusterMembershipService membership,
    ILocalSiloDetails local,
    IHostApplicationLifetime lifetime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(local.SiloAddress);
        var result = (status, lifetime.ApplicationStarted.IsCancellationRequested, lifetime.ApplicationStopping.IsCancellationRequested) switch
        {
            (_, _, true) => HealthCheckResult.Unhealthy($"Silo {local.SiloAddress} is stopping."),
            (SiloStatus.Active, true, _) => HealthCheckResult.Healthy($"Silo {local.SiloAddress} is Active."),
            (SiloStatus.Active, false, _) => HealthCheckResult.Unhealthy($"Silo {local.SiloAddress} is Active but still starting."),
            _ => HealthCheckResult.Unhealthy($"Silo {local.SiloAddress} is {status}."),
        };
        return Task.FromResult(result);
    }

    /// <summary>What the check answers Healthy to, for the <c>dmvoice.silo.active</c> gauge.</summary>
    public static bool IsReady(IClusterMembershipService membership, ILocalSiloDetails local, IHostApplicationLifetime lifetime) =>
        membership.CurrentSnapshot.GetSiloStatus(local.SiloAddress) == SiloStatus.Active
        && lifetime.ApplicationStarted.IsCancellationRequested
        && !lifetime.ApplicationStopping.IsCancellationRequested;
}
