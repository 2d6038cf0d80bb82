using DmVoice.Grains.Groups;
using DmVoice.Grains.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace DmVoice.Tests.Infrastructure;

/// <summary>
/// The embedded default's grain storage keeps the promises every store keeps: what was written is read
/// back, nobody shares an object with the store, and a write that lost a race changes nothing.
/// </summary>
public sealed class InProcessGrainStorageTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddSerializer().BuildServiceProvider();
    private readonly InProcessStateStore _store = new();
    private readonly GrainId _grain = GrainId.Create("dm-group", "dm-1");

    [Fact]
    public async Task A_written_state_is_read_back_and_later_changes_to_the_grain_s_object_stay_out_of_the_store()
    {
        var storage = Storage("Default");
        var written = new GrainState<DmGroupState>(new DmGroupState { Exists = true, OwnerId = "alice", Members = ["alice", "bob"] });
        await storage.WriteStateAsync("group", _grain, written);
        written.State!.Members.Add("mallory");

        var read = new GrainState<DmGroupState>();
        await storage.ReadStateAsync("group", _grain, read);

        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal("alice", read.State!.OwnerId);
        Assert.Equal(["alice", "bob"], read.State!.Members);
        Assert.NotSame(written.State, read.State);
    }

    [Fact]
    public async Task A_state_never_written_reads_as_a_new_object_with_no_record_and_no_etag()
    {
        var read = new GrainState<DmGroupState>(new DmGroupState { Exists = true }) { ETag = "stale", RecordExists = true };

        await Storage("Default").ReadStateAsync("group", _grain, read);

        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);
        Assert.False(read.State!.Exists);
    }

    [Fact]
    public async Task A_write_that_does_not_carry_the_stored_etag_fails_and_leaves_the_stored_state_as_it_was()
    {
        var storage = Storage("Default");
        var first = new GrainState<DmGroupState>(new DmGroupState { OwnerId = "alice" });
        var second = new GrainState<DmGroupState>(new DmGroupState { OwnerId = "bob" });
        await storage.WriteStateAsync("group", _grain, first);

        // The second activation read nothing, so it expects nothing stored; then one with an old ETag.
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("group", _grain, second));
        var staleETag = first.ETag;
        await storage.WriteStateAsync("group", _grain, first);
        second.ETag = staleETag;
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("group", _grain, second));

        var read = new GrainState<DmGroupState>();
        await storage.ReadStateAsync("group", _grain, read);
        Assert.Equal("alice", read.State!.OwnerId);
        Assert.Equal(first.ETag, read.ETag);
        Assert.NotEqual(staleETag, first.ETag);
    }

    [Fact]
    public async Task A_clear_removes_the_state_but_a_clear_with_a_stale_etag_changes_nothing()
    {
        var storage = Storage("Default");
        var state = new GrainState<DmGroupState>(new DmGroupState { OwnerId = "alice" });
        await storage.WriteStateAsync("group", _grain, state);
        var stale = new GrainState<DmGroupState>(new DmGroupState()) { ETag = "0" };

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("group", _grain, stale));
        Assert.Equal(1, _store.Count);

        await storage.ClearStateAsync("group", _grain, state);
        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Equal(0, _store.Count);

        // Cleared, it can be written again from scratch.
        await storage.WriteStateAsync("group", _grain, new GrainState<DmGroupState>(new DmGroupState { OwnerId = "bob" }));
        Assert.Equal(1, _store.Count);
    }

    [Fact]
    public async Task Each_provider_and_each_state_name_of_a_grain_keeps_its_own_state()
    {
        var states = new (InProcessGrainStorage Storage, string Name, string Owner)[]
        {
            (Storage("Default"), "group", "alice"),
            (Storage("Default"), "other", "bob"),
            (Storage("PubSubStore"), "group", "carol"),
        };
        foreach (var (storage, name, owner) in states)
        {
            await storage.WriteStateAsync(name, _grain, new GrainState<DmGroupState>(new DmGroupState { OwnerId = owner }));
        }

        foreach (var (storage, name, owner) in states)
        {
            var read = new GrainState<DmGroupState>();
            await storage.ReadStateAsync(name, _grain, read);
            Assert.Equal(owner, read.State!.OwnerId);
        }
    }

    public void Dispose() => _services.Dispose();

    private InProcessGrainStorage Storage(string provider) => new(
        provider,
        _store,
        new OrleansGrainStorageSerializer(_services.GetRequiredService<Serializer>()),
        _services.GetRequiredService<IActivatorProvider>());
}
