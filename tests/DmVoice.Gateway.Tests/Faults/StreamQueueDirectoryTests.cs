using DmVoice.Gateway.Tests.Api;

namespace DmVoice.Gateway.Tests.Faults;

/// <summary>
/// In Redis mode with stream delivery the memory-stream queue grains are registered in a directory kept
/// in Redis, where a registration is atomic, so a silo that joins while Orleans' default directory
/// moves cannot activate a second copy that swallows its rooms' events (docs/RELIABILITY.md, finding 5).
/// The race itself needs a silo restart at the wrong moment; what is checked here is where the queues
/// are registered: in Redis, and nothing else is (every other grain keeps the default directory).
/// With direct delivery there are no queues and no directory entries in Redis at all.
/// </summary>
public sealed class StreamQueueDirectoryTests : IAsyncLifetime
{
    private RedisModeGateway _cluster = null!;

    public async ValueTask InitializeAsync() => _cluster = await RedisModeGateway.StartAsync(durable: false);

    public async ValueTask DisposeAsync() => await (_cluster?.DisposeAsync() ?? ValueTask.CompletedTask);

    [Fact]
    public async Task Only_the_stream_queues_are_registered_in_redis_and_only_with_stream_delivery()
    {
        await using var alice = Rest.NewUser(_cluster.Gateway.BaseAddress, "alice");
        await using var bob = Rest.NewUser(_cluster.Gateway.BaseAddress, "bob");
        var dm = await alice.CreateDmAsync(bob);
        var bobPhone = await bob.ConnectAsync();

        // An event that went through Bob's stream (or straight to his gateway) to his device.
        await alice.JoinAsync(dm.Id);
        await bobPhone.WaitForAsync(VoiceEventNames.CallStarted);

        var entries = await CountKeysAsync("*/directory/*");
        var queueEntries = await CountKeysAsync("*/directory/memorystreamqueue/*");
#if EVENT_DELIVERY_STREAMS
        Assert.True(queueEntries > 0, "No stream queue grain is registered in Redis.");
        Assert.Equal(queueEntries, entries);
#else
        Assert.Equal(0, entries);
        Assert.Equal(0, queueEntries);
#endif
    }

    /// <summary>KEYS answers an array whose first line is <c>*N</c>.</summary>
    private async Task<int> CountKeysAsync(string pattern)
    {
        var header = await _cluster.Redis.CommandAsync("KEYS", pattern);
        Assert.StartsWith("*", header, StringComparison.Ordinal);
        return int.Parse(header[1..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
