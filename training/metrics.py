"""Accuracy, UAR, per-class precision/recall, confusion matrices, fold aggregation."""
import numpy as np


def confusion(y_true, y_pred, k):
    cm = np.zeros((k, k), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        cm[t, p] += 1
    return cm


def from_confusion(cm, labels):
    cm = np.asarray(cm)
    support = cm.sum(1)
    predicted = cm.sum(0)
    tp = np.diag(cm)
    recall = np.where(support > 0, tp / np.maximum(support, 1), np.nan)
    precision = np.where(predicted > 0, tp / np.maximum(predicted, 1), 0.0)
    present = support > 0
    return {
        "accuracy": float(tp.sum() / max(cm.sum(), 1)),
        "uar": float(np.nanmean(recall[present])) if present.any() else float("nan"),
        "per_class": {lab: {"precision": float(precision[i]), "recall": float(recall[i]) if present[i] else None,
                            "support": int(support[i])} for i, lab in enumerate(labels)},
        "confusion": cm.tolist(),
    }


def evaluate(y_true, y_pred, labels):
    return from_confusion(confusion(y_true, y_pred, len(labels)), labels)


def aggregate(fold_results, labels):
    """Mean and sd over folds of accuracy/UAR; pooled confusion matrix (sum over folds)."""
    acc = np.array([r["accuracy"] for r in fold_results])
    uar = np.array([r["uar"] for r in fold_results])
    pooled = np.sum([np.array(r["confusion"]) for r in fold_results], axis=0)
    out = from_confusion(pooled, labels)
    return {
        "accuracy_mean": float(acc.mean()), "accuracy_sd": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
        "uar_mean": float(np.nanmean(uar)), "uar_sd": float(np.nanstd(uar, ddof=1)) if len(uar) > 1 else 0.0,
        "accuracy_min": float(acc.min()), "accuracy_max": float(acc.max()),
        "uar_min": float(np.nanmin(uar)), "uar_max": float(np.nanmax(uar)),
        "pooled_accuracy": out["accuracy"], "pooled_uar": out["uar"],
        "per_class": out["per_class"], "confusion": out["confusion"],
    }
