"""A 5-armed Bernoulli bandit learned with REINFORCE, with and without a baseline.

The policy is a softmax over 5 logits (a Categorical); each step pulls `batch` arms, observes
0/1 rewards, and minimises chainrule.nondiff.reinforce_loss, whose gradient is the
score-function estimate of -d E[reward] / d logits. The moving-average baseline leaves that
estimate unbiased and lowers its variance.

    python examples/bandit_reinforce.py
"""

import chainrule as torch
from chainrule.distributions import Categorical
from chainrule.nondiff import MovingAverageBaseline, reinforce_loss

ARM_MEANS = [0.2, 0.35, 0.5, 0.6, 0.75]  # arm 4 is best


def train(steps: int, baseline=None, batch: int = 8, lr: float = 0.05, seed: int = 0) -> dict:
    """Run REINFORCE for `steps` steps; return the final policy and the reward trace."""
    torch.manual_seed(seed)
    means = torch.tensor(ARM_MEANS)
    logits = torch.nn.Parameter(torch.zeros(len(ARM_MEANS)))
    optimizer = torch.optim.Adam([logits], lr=lr)
    rewards = []
    for _ in range(steps):
        policy = Categorical(logits=logits)
        arms = policy.sample((batch,))
        reward = (torch.rand(batch) < means[arms]).float()
        loss = reinforce_loss(policy.log_prob(arms), reward, baseline)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        rewards.append(reward.mean().item())
    probs = torch.softmax(logits.detach(), -1)
    best = int(torch.tensor(ARM_MEANS).argmax())
    return {
        "probs": probs.tolist(),
        "best_arm": best,
        "best_arm_prob": probs[best].item(),
        "mean_reward_last_50": sum(rewards[-50:]) / len(rewards[-50:]),
        "rewards": rewards,
    }


def main(steps: int = 300, seed: int = 0) -> dict:
    """Train without and with a moving-average baseline; print and return both results."""
    results = {
        "no_baseline": train(steps, None, seed=seed),
        "moving_average": train(steps, MovingAverageBaseline(decay=0.9), seed=seed),
    }
    for name, r in results.items():
        probs = " ".join(f"{p:.3f}" for p in r["probs"])
        print(
            f"{name:>15}: p(best arm) = {r['best_arm_prob']:.3f}  "
            f"mean reward (last 50 steps) = {r['mean_reward_last_50']:.3f}  probs = [{probs}]"
        )
    return results


if __name__ == "__main__":
    main()
