from django.db import models


class Order(models.Model):
    customer = models.PositiveBigIntegerField()
    requested_ship_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"order {self.pk}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()
    item = models.PositiveBigIntegerField()
    warehouse = models.PositiveBigIntegerField()
    quantity = models.DecimalField(max_digits=20, decimal_places=4)

    def __str__(self) -> str:
        return f"order {self.order_id} line {self.line_number}"
