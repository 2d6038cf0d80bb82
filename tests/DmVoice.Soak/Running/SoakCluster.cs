using DmVoice.TestSupport.Processes;

namespace DmVoice.Soak.Running;

/// <summary>
/// The deployment under test: a durable redis-server, two silos and two gateways as real processes on
/// their own loopback addresses (Redis mode), and a load balancer in front of the gateways that every
/// client goes through.
/// </summary>
public sealed class SoakCluster : IAsyncDisposable
{
    private SoakCluster(ProcessCluster cluster, LoadBalancer balancer)
    {
        Cluster = cluster;
        Balancer = balancer;
    }

    public ProcessCluster Cluster { get; }

    public LoadBalancer Balancer { get; }

    public IReadOnlyList<DmVoiceProcess> Silos => [.. Cluster.Silos];

    public IReadOnlyList<DmVoiceProcess> Gateways => [.. Cluster.Gateways];

    public static async Task<SoakCluster> StartAsync(string delivery, SoakTimings timings)
    {
        var cluster = await ProcessCluster.StartAsync("soak", durableRedis: true);
        try
        {
            cluster.CommonSettings["Cluster:EventDelivery"] = delivery;
            timings.ApplyTo(cluster.CommonSettings);
            var hosts = cluster.Hosts;
            var ports = cluster.SiloPorts(hosts.Host(2), hosts.Host(3));
            cluster.AddSilo("silo-a", hosts.Host(2), ports);
            cluster.AddSilo("silo-b", hosts.Host(3), ports);
            cluster.AddGateway("gateway-a", hosts.Host(4));
            cluster.AddGateway("gateway-b", hosts.Host(5));
            await cluster.StartAllAsync();
            var balancer = LoadBalancer.Start(hosts.Host(6), [.. cluster.Gateways]);
            return new SoakCluster(cluster, balancer);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>After the faults: every process runs and is ready, Redis answers and holds no writes.</summary>
    public async Task HealAsync()
    {
        var redis = Cluster.Redis!;
        try
        {
            await redis.ThawAsync();
        }
        catch (Exception)
        {
            // It was not frozen, or it is gone: restarted below if so.
        }

        try
        {
            await redis.CommandAsync("CLIENT", "UNPAUSE");
        }
        catch (Exception)
        {
            await redis.RestartAsync();
        }

        foreach (var process in Cluster.Processes)
        {
            if (!process.IsRunning)
            {
                await process.StartAsync();
            }
            else if (Signals.IsStopped(process.ProcessId))
            {
                await process.ResumeAsync();
            }
        }

        await Task.WhenAll(Cluster.Processes.Select(p => p.WaitUntilReadyAsync()));
    }

    public async ValueTask DisposeAsync()
    {
        await Balancer.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}
