using DmVoice.Grains.Users;

namespace DmVoice.Rules.Tests;

/// <summary>The index of live calls a user can see, kept by the rooms.</summary>
public sealed class LiveCallIndexTests
{
    private static readonly LiveCallRef First = new(CallContext.Dm("dm-1"), "call-1");
    private static readonly LiveCallRef Later = new(CallContext.Dm("dm-1"), "call-2");
    private static readonly LiveCallRef Channel = new(CallContext.Channel("ch-1"), "call-3");

    private readonly UserVoiceState _state = new();
    private readonly LiveCallIndex _index;

    public LiveCallIndexTests() => _index = new LiveCallIndex(_state);

    [Fact]
    public void A_call_registered_again_changes_nothing()
    {
        Assert.True(_index.IsEmpty);
        Assert.True(_index.Track(First));
        Assert.False(_index.Track(First));

        Assert.Equal([First], _index.ToArray());
        Assert.False(_index.IsEmpty);
    }

    [Fact]
    public void A_later_call_of_the_same_dm_replaces_the_older_one_and_other_rooms_stay()
    {
        _index.Track(First);
        _index.Track(Channel);

        Assert.True(_index.Track(Later));
        Assert.Equal([Later, Channel], _index.ToArray());
    }

    [Fact]
    public void A_deregistration_of_a_call_the_index_does_not_hold_changes_nothing()
    {
        _index.Track(Later);

        Assert.False(_index.Remove(First));
        Assert.True(_index.Remove(Later));
        Assert.True(_index.IsEmpty);
    }

    [Fact]
    public void Entries_found_stale_go_and_the_answers_that_found_nothing_stale_change_nothing()
    {
        _index.Track(First);
        _index.Track(Channel);

        Assert.False(_index.RemoveStale([null, null]));
        Assert.False(_index.RemoveStale([Later]));
        Assert.True(_index.RemoveStale([null, First]));
        Assert.Equal([Channel], _index.ToArray());
    }
}
