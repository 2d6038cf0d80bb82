using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace DmVoice.Gateway.Tests.Api;

/// <summary>
/// Names are shown to other people, so none may read other than it is: group and channel names with
/// bidirectional controls or zero-width characters are refused, and a display name from a token is made
/// fit to show once (hidden and control characters gone, cut between characters), so that no token's name
/// can make a join fail or show a half character.
/// </summary>
public sealed class NameTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    public static readonly TheoryData<string> HiddenNames = new()
    {
        "gnp.exe\u202Eevil",          // right-to-left override
        "Team\u2066 Alpha\u2069",     // isolate
        "Al\u200Bice",                // zero-width space
        "\u200FAdmins",               // right-to-left mark
        "Bob\u2060",                  // word joiner
        "\uFEFFOps",                  // byte order mark
        "Al\u200Dice",                // zero-width joiner between Latin letters
        "\u200DStaff",                // zero-width joiner at the start
    };

    [Theory]
    [MemberData(nameof(HiddenNames))]
    public async Task A_group_DM_name_with_bidi_controls_or_zero_width_characters_is_refused_and_nothing_is_created(string name)
    {
        await using var owner = fixture.NewUser("namer");
        await using var b = fixture.NewUser("b");
        await using var c = fixture.NewUser("c");

        var response = await owner.Http.PostAsJsonAsync("/dm-groups", new { memberIds = new[] { b.UserId, c.UserId }, name });

        var problem = await Rest.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed);
        Assert.Contains("'name'", problem.Str("detail"), StringComparison.Ordinal);
        Assert.Equal("""{"dmGroups":[],"nextCursor":null}""", await (await owner.Http.GetAsync("/dm-groups")).Content.ReadAsStringAsync());
    }

    [Theory]
    [MemberData(nameof(HiddenNames))]
    public async Task A_channel_name_with_bidi_controls_or_zero_width_characters_is_refused(string name)
    {
        await using var owner = fixture.NewUser("channel-namer");
        var response = await owner.Http.PostAsJsonAsync("/voice-channels", new { name, memberIds = Array.Empty<string>() });
        await Rest.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed);
    }

    [Theory]
    [InlineData("Family \U0001F468\u200D\U0001F469\u200D\U0001F467")]  // an emoji sequence holds zero-width joiners
    [InlineData("\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645")]    // Persian needs the zero-width non-joiner
    [InlineData("\u05E9\u05DC\u05D5\u05DD team")]                       // right-to-left text itself is fine
    public async Task Names_that_need_joiners_or_are_written_right_to_left_are_accepted_as_written(string name)
    {
        await using var owner = fixture.NewUser("joiner");
        await using var b = fixture.NewUser("b");
        await using var c = fixture.NewUser("c");

        var response = await owner.Http.PostAsJsonAsync("/dm-groups", new { memberIds = new[] { b.UserId, c.UserId }, name });

        await Rest.AssertStatusAsync(response, HttpStatusCode.Created);
        Assert.Equal(name, (await response.Content.ReadFromJsonAsync<JsonElement>()).Str("name"));
    }

    [Theory]
    [InlineData("Eve\u202E\u200Bgnp.exe\n\tof\u0007 Accounts", "Evegnp.exe of Accounts")]
    [InlineData("\u202E\u200B\u2066", null)]
    [InlineData("  Zo\u00EB  ", "Zo\u00EB")]
    public async Task A_token_name_with_hidden_or_control_characters_is_shown_cleaned_and_never_fails_the_join(string tokenName, string? shown)
    {
        var id = TestIds.User("token-named");
        await using var named = VoiceUser.WithToken(fixture.Server.BaseAddress, id, TestTokens.Mint(id, name: tokenName));
        await using var b = fixture.NewUser("b");
        var dm = await named.CreateDmAsync(b);

        await named.JoinAsync(dm.Id);

        var me = Assert.Single((await b.PresenceAsync(dm.Id)).Participants);
        Assert.Equal(shown ?? id, me.DisplayName);
    }

    [Fact]
    public async Task A_long_token_name_is_cut_between_characters_never_inside_one()
    {
        // 99 letters, then an emoji with a skin tone (four UTF-16 units, one character): 103 units in all.
        var tokenName = new string('a', 99) + "\U0001F44D\U0001F3FD";
        var id = TestIds.User("long-named");
        await using var named = VoiceUser.WithToken(fixture.Server.BaseAddress, id, TestTokens.Mint(id, name: tokenName));
        await using var b = fixture.NewUser("b");
        var dm = await named.CreateDmAsync(b);

        await named.JoinAsync(dm.Id);

        var me = Assert.Single((await b.PresenceAsync(dm.Id)).Participants);
        Assert.Equal(new string('a', 99), me.DisplayName);
    }

    [Fact]
    public void Every_normalised_display_name_is_a_valid_name()
    {
        var nasty = new[]
        {
            "\uD83D", "a\uDC4Db", "\u200D\U0001F600", "\U0001F600\u200D", "x\u200C", new string('\u0645', 99) + "\u200C\u0645",
            new string('b', 100) + "\u0301", new string('c', 99) + "\U0001F468\u200D\U0001F469", "\u0000\u001F\u007F\u0085 name",
        };
        foreach (var raw in nasty)
        {
            var normalised = Validate.NormalizeDisplayName(raw);
            if (normalised is not null)
            {
                Assert.Equal(normalised, Validate.OptionalName(normalised, "displayName"));
                Assert.InRange(normalised.Length, 1, Validate.MaxNameLength);
            }
        }
    }
}
