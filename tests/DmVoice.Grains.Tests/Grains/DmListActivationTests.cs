using DmVoice.Grains.Users;
using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;

namespace DmVoice.Tests.Grains;

/// <summary>
/// A user's DM list is in memory only while its user reads it. A call start goes to the members' user
/// grains, which hold it for the lists and hand it over within <c>Calls:DirectoryOrderWriteDelay</c>
/// (15 s here); a read of a list asks its user grain for what it holds, so the DM shows on top at once.
/// </summary>
[Collection(FaultyStorageClusterCollection.Name)]
public sealed class DmListActivationTests(FaultyStorageClusterFixture fx)
{
    private static readonly TimeSpan WellPastTheDelay = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_call_start_activates_no_members_list_yet_the_members_first_read_shows_the_DM_on_top()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await CreateDmNobodyReadAsync(a, b);
        fx.Advance(TimeSpan.FromSeconds(1));
        var startedAt = fx.Time.GetUtcNow();

        await fx.JoinAsync(a, dm.Id);

        // Once b's user grain holds the call start, the call has sent everything it sends b's side.
        await Eventually.GetAsync(() => fx.User(b).GetHeldDmActivity(), held => held.Contains(new DmActivityEntry(dm.Id, startedAt)), "b's user grain to hold the call start");
        Assert.False(await IsActiveAsync(List(b)));

        var page = await List(b).GetDmPage(1, null);
        Assert.Equal([new DmActivityEntry(dm.Id, startedAt)], page.Entries);
    }

    [Fact]
    public async Task A_list_that_only_hears_from_other_grains_is_let_go_and_one_its_user_reads_is_kept()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await CreateDmNobodyReadAsync(a, b);
        await List(a).GetDmPage(10, null);
        var later = new DmActivityEntry(dm.Id, fx.Time.GetUtcNow().AddSeconds(1));

        await List(a).TakeDmActivity([later]);
        await List(b).TakeDmActivity([later]);

        await Eventually.GetAsync(() => IsActiveAsync(List(b)), active => !active, "b's list, which b never read, to be let go");
        Assert.True(await IsActiveAsync(List(a)));
        Assert.Equal(later, (await StoredListAsync(b)).DmActivity.Select(e => new DmActivityEntry(e.Key, e.Value)).Single());
    }

    [Fact]
    public async Task Call_starts_still_held_when_the_user_grain_goes_are_stored_with_it_and_handed_over_by_its_next_activation()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await CreateDmNobodyReadAsync(a, b);
        fx.Advance(TimeSpan.FromSeconds(1));
        var startedAt = fx.Time.GetUtcNow();
        await fx.JoinAsync(a, dm.Id);
        await Eventually.GetAsync(() => fx.User(b).GetHeldDmActivity(), held => held.Length == 1, "b's user grain to hold the call start");

        await fx.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        Assert.Equal(startedAt, (await StoredVoiceAsync(b)).HeldDmActivity![dm.Id]);
        Assert.NotEqual(startedAt, (await StoredListAsync(b)).DmActivity[dm.Id]);

        // The next activation (here: the one a read of the list wakes) holds it again, shows it and hands it over.
        Assert.Equal(new DmActivityEntry(dm.Id, startedAt), (await List(b).GetDmPage(1, null)).Entries.Single());
        await Eventually.GetAsync(() => StoredListAsync(b), s => s.DmActivity[dm.Id] == startedAt, "b's list to store the handed-over call start", WellPastTheDelay);
        await Eventually.GetAsync(() => fx.User(b).GetHeldDmActivity(), held => held.Length == 0, "b's user grain to let go of what it handed over");
    }

    [Fact]
    public async Task A_hand_over_the_list_could_not_store_is_tried_again_and_lands()
    {
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await CreateDmNobodyReadAsync(a, b);
        fx.Advance(TimeSpan.FromSeconds(1));
        var startedAt = fx.Time.GetUtcNow();
        fx.Faults.FailWrites("directory", b);

        await fx.JoinAsync(a, dm.Id);

        await Eventually.TrueAsync(() => fx.Faults.AllSpent, "the first hand-over to b's list to fail", WellPastTheDelay);
        Assert.NotEqual(startedAt, (await StoredListAsync(b)).DmActivity[dm.Id]);
        await Eventually.GetAsync(() => StoredListAsync(b), s => s.DmActivity[dm.Id] == startedAt, "the second hand-over to be stored", WellPastTheDelay);
    }

    private IUserDirectoryGrain List(string userId) => fx.Client.GetGrain<IUserDirectoryGrain>(userId);

    /// <summary>A DM whose members' lists stored it and, never read, were let go again.</summary>
    private async Task<DmGroup> CreateDmNobodyReadAsync(string a, string b)
    {
        var dm = await fx.CreateDmAsync(a, b);
        foreach (var user in new[] { a, b })
        {
            await Eventually.GetAsync(() => StoredListAsync(user), s => s.DmIds.Contains(dm.Id), $"{user}'s list to store the DM");
            await Eventually.GetAsync(() => IsActiveAsync(List(user)), active => !active, $"{user}'s list to be let go");
        }

        return dm;
    }

    private Task<bool> IsActiveAsync(IAddressable grain) => fx.IsActiveAsync(grain);

    private Task<UserVoiceState> StoredVoiceAsync(string userId) => fx.StoredAsync<UserVoiceState>("voice", fx.User(userId).GetGrainId());

    private Task<UserDirectoryState> StoredListAsync(string userId) => fx.StoredAsync<UserDirectoryState>("directory", List(userId).GetGrainId());
}
