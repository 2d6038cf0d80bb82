namespace DmVoice.Soak.Load;

/// <summary>The kinds of thing a simulated user does, with how often, relative to each other.</summary>
public enum IntentKind
{
    ConnectDevice,
    DropDevice,
    OpenOneToOne,
    OpenGroup,
    CreateChannel,
    Join,
    SwitchDevice,
    Leave,
    ToggleState,
    Ring,
    AnswerRing,
    StopRinging,
    AddMember,
    RemoveMember,
    ChangeChannelAccess,
    AnswerInvite,
    DeleteChannel,
    ReadPresence,
}

/// <summary>
/// One thing a user means to do, drawn from their own seeded generator before looking at the world: the
/// same seed gives every user the same sequence of intents and pauses, whatever the cluster answers.
/// <see cref="A"/>, <see cref="B"/> and <see cref="C"/> pick targets and options among what is there when it runs.
/// </summary>
public sealed record Intent(IntentKind Kind, int A, int B, int C, TimeSpan Pause)
{
    private static readonly (IntentKind Kind, double Weight)[] Weights =
    [
        (IntentKind.ConnectDevice, 5), (IntentKind.DropDevice, 2), (IntentKind.OpenOneToOne, 1.5), (IntentKind.OpenGroup, 1),
        (IntentKind.CreateChannel, 0.5), (IntentKind.Join, 9), (IntentKind.SwitchDevice, 2), (IntentKind.Leave, 3),
        (IntentKind.ToggleState, 5), (IntentKind.Ring, 1.5), (IntentKind.AnswerRing, 3), (IntentKind.StopRinging, 0.7),
        (IntentKind.AddMember, 1), (IntentKind.RemoveMember, 0.8), (IntentKind.ChangeChannelAccess, 0.8), (IntentKind.AnswerInvite, 1.5), (IntentKind.DeleteChannel, 0.15),
        (IntentKind.ReadPresence, 1),
    ];

    private static readonly double Total = Weights.Sum(w => w.Weight);

    /// <summary>Always draws the same five numbers, so one user's sequence never depends on another's.</summary>
    public static Intent Draw(Random random, TimeSpan minPause, TimeSpan maxPause)
    {
        var roll = random.NextDouble() * Total;
        var a = random.Next(1 << 20);
        var b = random.Next(1 << 20);
        var c = random.Next(1 << 20);
        var pause = minPause + (maxPause - minPause) * random.NextDouble();
        foreach (var (kind, weight) in Weights)
        {
            if (roll < weight)
            {
                return new Intent(kind, a, b, c, pause);
            }

            roll -= weight;
        }

        return new Intent(IntentKind.ReadPresence, a, b, c, pause);
    }
}
