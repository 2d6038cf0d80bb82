using DmVoice.TestSupport.Redis;
using Microsoft.Extensions.Time.Testing;

namespace DmVoice.Gateway.Tests.Infrastructure;

/// <summary>
/// A gateway over a standalone silo in Redis mode, both on a private redis-server: the cluster of the
/// tests that make Redis fail. Whatever started is stopped again, in reverse order, also when a later
/// part could not start.
/// </summary>
public sealed class RedisModeGateway : IAsyncDisposable
{
    private RedisModeGateway(RedisServer redis, StandaloneSilo silo)
    {
        Redis = redis;
        Silo = silo;
    }

    public RedisServer Redis { get; }

    public StandaloneSilo Silo { get; }

    public GatewayServer Gateway { get; private set; } = null!;

    /// <param name="durable">A redis-server that keeps its data across a restart (for tests that kill and restart it).</param>
    /// <param name="callTime">The clock of call deadlines, which the test advances.</param>
    /// <param name="clusterSettings">Settings for the silo and the gateway (e.g. <see cref="FaultAssert.QuickTimeouts"/>).</param>
    /// <param name="gatewaySettings">Settings for the gateway alone.</param>
    public static async Task<RedisModeGateway> StartAsync(
        bool durable,
        FakeTimeProvider? callTime = null,
        IReadOnlyDictionary<string, string?>? clusterSettings = null,
        Action<Dictionary<string, string?>>? gatewaySettings = null)
    {
        var redis = durable ? await RedisServer.StartDurableAsync() : await RedisServer.StartAsync();
        var cluster = new RedisModeGateway(redis, new StandaloneSilo(callTime, redis, clusterSettings));
        try
        {
            await cluster.Silo.StartAsync();
            cluster.Gateway = await cluster.Silo.StartGatewayAsync(gatewaySettings);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }

        await Silo.DisposeAsync();
        await Redis.DisposeAsync();
    }
}
