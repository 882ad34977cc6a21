namespace Patron.Client;

/// <summary>
/// The entry point of the client: one service per resource of Patron's API.
/// <code>
/// var patron = new PatronClient("sk_...", new Uri("http://127.0.0.1:5080"));
/// var customer = await patron.Customers.CreateAsync(new() { Email = "ada@example.com" });
/// await patron.PointsTransactions.AwardAsync(customer.Id, 120, "Order 1001");
/// </code>
/// A client is safe to share between threads; make one and keep it.
/// </summary>
public sealed class PatronClient : IDisposable
{
    private readonly HttpClient? _owned;

    public PatronClient(string apiKey, Uri? baseUrl = null, HttpClient? httpClient = null)
        : this(new PatronClientOptions { ApiKey = apiKey, BaseUrl = baseUrl ?? new PatronClientOptions().BaseUrl, HttpClient = httpClient })
    {
    }

    public PatronClient(PatronClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.BaseUrl);
        // The requestor enforces its own per-attempt timeout, so an owned HttpClient never times out first.
        var http = options.HttpClient ?? (_owned = new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan });
        var requestor = new ApiRequestor(options, http);
        Customers = new CustomerService(requestor);
        PointsTransactions = new PointsTransactionService(requestor);
        Orders = new OrderService(requestor);
        Rewards = new RewardService(requestor);
        Redemptions = new RedemptionService(requestor);
        Stamps = new StampService(requestor);
        GiftCards = new GiftCardService(requestor);
        Referrals = new ReferralService(requestor);
        VipTiers = new VipTierService(requestor);
        EarnRules = new EarnRuleService(requestor);
        WebhookEndpoints = new WebhookEndpointService(requestor);
        Events = new EventService(requestor);
        ApiKeys = new ApiKeyService(requestor);
    }

    public CustomerService Customers { get; }

    /// <summary>The points ledger: award and deduct points.</summary>
    public PointsTransactionService PointsTransactions { get; }

    public OrderService Orders { get; }
    public RewardService Rewards { get; }

    /// <summary>Redemptions, and the voucher codes they issue.</summary>
    public RedemptionService Redemptions { get; }

    public StampService Stamps { get; }
    public GiftCardService GiftCards { get; }
    public ReferralService Referrals { get; }
    public VipTierService VipTiers { get; }
    public EarnRuleService EarnRules { get; }
    public WebhookEndpointService WebhookEndpoints { get; }
    public EventService Events { get; }
    public ApiKeyService ApiKeys { get; }

    /// <summary>Disposes of the HTTP client the client made itself (never one that was passed in).</summary>
    public void Dispose() => _owned?.Dispose();
}
