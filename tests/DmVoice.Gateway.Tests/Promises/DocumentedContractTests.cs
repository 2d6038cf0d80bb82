using System.Net.Http.Json;
using System.Text.RegularExpressions;
using DmVoice.Gateway.Problems;
using DmVoice.Gateway.Tests.Api;

namespace DmVoice.Gateway.Tests.Promises;

/// <summary>docs/API.md's general rules: who the caller is, and the error table clients match on.</summary>
public sealed partial class DocumentedContractTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task The_display_name_is_the_tokens_name_claim_or_the_user_id_when_there_is_none()
    {
        var server = fixture.Server.BaseAddress;
        var namedId = TestIds.User("named");
        var anonymousId = TestIds.User("plain");
        await using var named = VoiceUser.WithToken(server, namedId, TestTokens.Mint(namedId, name: "Ada Lovelace"));
        await using var plain = VoiceUser.WithToken(server, anonymousId, TestTokens.Mint(anonymousId));
        var dm = await named.CreateDmAsync(plain);

        Assert.Equal("Ada Lovelace", (await named.JoinAsync(dm.Id)).User.DisplayName);
        Assert.Equal(anonymousId, (await plain.JoinAsync(dm.Id)).User.DisplayName);
        var presence = await plain.PresenceAsync(dm.Id);
        Assert.Equal(["Ada Lovelace", anonymousId], presence.Participants.Select(p => p.DisplayName));
    }

    [Fact]
    public void Every_error_code_is_in_the_error_table_of_API_md_with_the_status_the_gateway_answers()
    {
        var table = ErrorTable().Matches(File.ReadAllText(SourceFile("docs/API.md")))
            .ToDictionary(m => m.Groups["code"].Value, m => int.Parse(m.Groups["status"].Value, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(ErrorCodes.All.Order(), table.Keys.Order());
        Assert.All(ErrorCodes.All, code => Assert.Equal(ErrorStatus.For(code).Status, table[code]));
    }

    [Fact]
    public async Task Sync_hands_a_new_device_the_same_state_as_GET_me_voice()
    {
        await using var a = fixture.NewUser("alice");
        await using var b = fixture.NewUser("bob");
        var dm = await a.CreateDmAsync(b);
        await a.ConnectAsync();
        await a.JoinAsync(dm.Id);

        var device = await b.ConnectAsync();
        var rest = await b.Http.GetFromJsonAsync<MyVoiceOverview>("/me/voice", VoiceUser.Json);

        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(rest, VoiceUser.Json), System.Text.Json.JsonSerializer.Serialize(device.Synced, VoiceUser.Json));
        Assert.Equal(dm.Id, Assert.Single(rest!.LiveCalls).DmGroupId);
    }

    /// <summary>A file of the source tree, found by walking up from the test binaries.</summary>
    private static string SourceFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{relative} was not found above {AppContext.BaseDirectory}");
    }

    /// <summary>A row of the error table: <c>| `code` | status | when |</c>.</summary>
    [GeneratedRegex(@"^\| `(?<code>[a-z_]+)` \| (?<status>\d{3}) \|", RegexOptions.Multiline)]
    private static partial Regex ErrorTable();
}
