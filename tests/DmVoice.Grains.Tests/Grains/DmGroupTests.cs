using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;

namespace DmVoice.Tests.Grains;

/// <summary>Run against in-memory storage, Redis storage, and with stream delivery (the classes at the end).</summary>
public abstract class DmGroupTests(GrainClusterFixture fx)
{
    [Fact]
    public async Task A_one_to_one_dm_is_unique_per_pair_from_either_side()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var first = await fx.Group(DmGroupIds.ForPair(a, b)).Create(a, [b], null, isGroup: false);
        var again = await fx.Group(DmGroupIds.ForPair(b, a)).Create(b, [a], null, isGroup: false);

        Assert.True(first.Created);
        Assert.False(again.Created);
        Assert.Equal(first.Group.Id, again.Group.Id);
        Assert.Equal(a, again.Group.OwnerId);
        Assert.Equal([a, b], again.Group.MemberIds.Order());
    }

    [Fact]
    public async Task A_group_dm_holds_at_most_ten_members()
    {
        var users = Enumerable.Range(0, 11).Select(i => TestIds.User($"m{i}")).ToArray();
        var tooMany = await Assert.ThrowsAsync<DmVoiceException>(() =>
            fx.Group(DmGroupIds.NewGroup()).Create(users[0], users[1..], "too many", isGroup: true));
        Assert.Equal(ErrorCodes.DmFull, tooMany.Code);

        var group = await fx.CreateDmAsync(users[..10]);
        var full = await Assert.ThrowsAsync<DmVoiceException>(() => fx.Group(group.Id).AddMember(users[0], users[10]));
        Assert.Equal(ErrorCodes.DmFull, full.Code);
        Assert.Equal(10, (await fx.Group(group.Id).Get(users[0])).MemberIds.Count);
    }

    [Fact]
    public async Task Members_cannot_be_added_to_a_one_to_one_dm()
    {
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b);
        var error = await Assert.ThrowsAsync<DmVoiceException>(() => fx.Group(dm.Id).AddMember(a, c));
        Assert.Equal(ErrorCodes.NotGroupDm, error.Code);
    }

    [Fact]
    public async Task Only_the_owner_removes_others_and_anyone_removes_themselves()
    {
        var (owner, b, c) = (TestIds.User("owner"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(owner, b, c);

        var forbidden = await Assert.ThrowsAsync<DmVoiceException>(() => fx.Group(dm.Id).RemoveMember(b, c));
        Assert.Equal(ErrorCodes.Forbidden, forbidden.Code);

        var afterSelf = await fx.Group(dm.Id).RemoveMember(c, c);
        Assert.Equal([owner, b], afterSelf!.MemberIds);

        var afterOwnerLeaves = await fx.Group(dm.Id).RemoveMember(owner, owner);
        Assert.Equal(b, afterOwnerLeaves!.OwnerId);
        Assert.DoesNotContain(dm.Id, await fx.Client.GetGrain<IUserDirectoryGrain>(owner).ListedDmIdsAsync());
        Assert.Contains(dm.Id, await fx.Client.GetGrain<IUserDirectoryGrain>(b).ListedDmIdsAsync());
    }

    [Fact]
    public async Task Non_members_and_unknown_dms_look_the_same_and_change_nothing()
    {
        var (a, b, stranger) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("x"));
        var dm = await fx.CreateDmAsync(a, b);

        foreach (var action in new Func<Task>[]
        {
            () => fx.Group(dm.Id).Get(stranger),
            () => fx.Group(dm.Id).AddMember(stranger, stranger),
            () => fx.Group(DmGroupIds.NewGroup()).Get(a),
            () => fx.Call(dm.Id).GetPresence(stranger),
            () => fx.JoinAsync(stranger, dm.Id),
            () => fx.JoinAsync(a, DmGroupIds.NewGroup()),
        })
        {
            var error = await Assert.ThrowsAsync<DmVoiceException>(action);
            Assert.Equal(ErrorCodes.DmNotFound, error.Code);
        }

        var presence = await fx.Call(dm.Id).GetPresence(a);
        Assert.Null(presence.CallId);
        Assert.Null(await fx.User(stranger).GetSeat());
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("ümlaut")]
    [InlineData("semi;colon")]
    public async Task Invalid_ids_are_rejected_with_validation_failed(string badId)
    {
        var a = TestIds.User("a");
        var error = await Assert.ThrowsAsync<DmVoiceException>(() =>
            fx.Group(DmGroupIds.NewGroup()).Create(a, [badId, TestIds.User("c")], null, isGroup: true));
        Assert.Equal(ErrorCodes.ValidationFailed, error.Code);
    }

    [Fact]
    public async Task Ids_longer_than_128_characters_and_long_names_are_rejected()
    {
        var a = TestIds.User("a");
        var longId = await Assert.ThrowsAsync<DmVoiceException>(() =>
            fx.Group(DmGroupIds.NewGroup()).Create(a, [new string('x', 129), TestIds.User("c")], null, isGroup: true));
        Assert.Equal(ErrorCodes.ValidationFailed, longId.Code);

        var longName = await Assert.ThrowsAsync<DmVoiceException>(() =>
            fx.Group(DmGroupIds.NewGroup()).Create(a, [TestIds.User("b"), TestIds.User("c")], new string('n', 101), isGroup: true));
        Assert.Equal(ErrorCodes.ValidationFailed, longName.Code);
    }
}

[Collection(GrainClusterCollection.Name)]
public sealed class DmGroupTestsInMemory(GrainClusterFixture fx) : DmGroupTests(fx);

[Collection(RedisGrainClusterCollection.Name)]
public sealed class DmGroupTestsOnRedis(RedisGrainClusterFixture fx) : DmGroupTests(fx);

[Collection(StreamsGrainClusterCollection.Name)]
public sealed class DmGroupTestsWithStreams(StreamsGrainClusterFixture fx) : DmGroupTests(fx);
